#include "analytics/stats.h"

#include <algorithm>
#include <cmath>

namespace lt::analytics {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double WeightedMedian(std::vector<std::pair<double, double>> vw) {
  double total = 0;
  for (const auto& [v, w] : vw) total += std::max(w, 0.0);
  if (total <= 0) return 0;
  std::sort(vw.begin(), vw.end());
  double acc = 0;
  for (const auto& [v, w] : vw) {
    acc += std::max(w, 0.0);
    if (acc >= total / 2 - 1e-12) return v;
  }
  return vw.back().first;
}

double Mad(const std::vector<double>& v, double center) {
  std::vector<double> d;
  d.reserve(v.size());
  for (double x : v) d.push_back(std::fabs(x - center));
  return Median(std::move(d));
}

double Round(double x, int digits) {
  if (!std::isfinite(x)) return 0;
  double f = std::pow(10.0, digits);
  double r = std::round(x * f) / f;
  return r == 0 ? 0 : r;  // no "-0"
}

}  // namespace lt::analytics
