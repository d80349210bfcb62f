// Small robust statistics for the analytics: weighted medians and the MAD.
// Thread-safety: pure functions.
#ifndef LT_ANALYTICS_STATS_H_
#define LT_ANALYTICS_STATS_H_

#include <utility>
#include <vector>

namespace lt::analytics {

// Median of values (0 when empty); the mean of the two middle values for an even count.
double Median(std::vector<double> v);
// Weighted median of (value, weight) pairs: the smallest value whose cumulative weight reaches
// half the total (0 when empty or all weights are 0).
double WeightedMedian(std::vector<std::pair<double, double>> vw);
// Median absolute deviation from `center` (unscaled).
double Mad(const std::vector<double>& v, double center);
// Rounds to `digits` decimals (so JSON numbers are short and stable).
double Round(double x, int digits = 4);

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_STATS_H_
