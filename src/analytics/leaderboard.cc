#include "analytics/leaderboard.h"

#include <algorithm>
#include <map>
#include <set>

#include "analytics/stats.h"
#include "util/near_match.h"

namespace lt::analytics {

using nlohmann::json;

bool IsRegistered(const std::set<std::string>& registered, const std::string& model) {
  if (registered.count(model)) return true;
  return model.find(':') == std::string::npos && registered.count(model + ":latest");
}

json ComputeLeaderboard(const LeaderboardInput& in) {
  struct Row {
    uint64_t sessions = 0, seconds = 0, unmet_total = 0;
    std::set<std::string> users, serving, offering;
    std::vector<double> prices, secs;
    std::map<std::string, uint64_t> unmet;
  };
  std::map<std::string, Row> rows;
  for (const auto& s : in.sessions) {
    Row& r = rows[s.model];
    ++r.sessions;
    r.seconds += s.seconds;
    r.users.insert(s.user_key);
    r.serving.insert(s.provider);
    r.prices.push_back(s.price_per_second);
    r.secs.push_back(s.seconds);
  }
  for (const auto& [m, reasons] : in.unmet) {
    Row& r = rows[m];
    for (const auto& [reason, n] : reasons) {
      r.unmet[reason] += n;
      r.unmet_total += n;
    }
  }
  for (const auto& [m, ps] : in.supply) {
    if (!rows.count(m)) continue;  // offered but neither used nor asked for: not on the board
    rows[m].offering.insert(ps.begin(), ps.end());
  }
  double hours = std::max<double>(in.window_seconds, 1) / 3600.0;
  std::vector<std::pair<std::string, json>> out;
  for (auto& [m, r] : rows) {
    double typical = r.secs.empty() ? 60.0 : Median(r.secs);
    double demand = r.seconds + r.unmet_total * typical;
    std::set<std::string> providers = r.serving;
    providers.insert(r.offering.begin(), r.offering.end());
    size_t supply = r.offering.empty() ? r.serving.size() : r.offering.size();
    double score = demand / hours / (1.0 + supply);
    json unmet = json::object();
    for (const auto& [k, v] : r.unmet) unmet[k] = v;
    out.push_back({m,
                   {{"model", m},
                    {"sessions", r.sessions},
                    {"sessionSeconds", r.seconds},
                    {"uniqueUsers", r.users.size()},
                    {"unmet", unmet},
                    {"unmetTotal", r.unmet_total},
                    {"medianPricePerSecond", r.prices.empty() ? json(nullptr) : json(Round(Median(r.prices), 18))},
                    {"medianSeconds", r.secs.empty() ? json(nullptr) : json(Round(typical, 2))},
                    {"providers", std::vector<std::string>(providers.begin(), providers.end())},
                    {"providersServing", r.serving.size()},
                    {"providersOffering", r.offering.size()},
                    {"demandSeconds", Round(demand, 2)},
                    {"score", Round(score, 3)}}});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    double sa = a.second["score"].template get<double>(), sb = b.second["score"].template get<double>();
    if (sa != sb) return sa > sb;
    uint64_t na = a.second["sessions"].template get<uint64_t>(), nb = b.second["sessions"].template get<uint64_t>();
    if (na != nb) return na > nb;
    return a.first < b.first;
  });
  json models = json::array(), unregistered = json::array();
  std::vector<std::string> known;
  if (in.registered) known.assign(in.registered->begin(), in.registered->end());
  for (auto& entry : out) {
    json& row = entry.second;
    if (in.registered && !IsRegistered(*in.registered, entry.first)) {
      if (unregistered.size() < in.max_rows) {
        std::string near = NearestMatch(entry.first, known);
        unregistered.push_back({{"model", entry.first},
                                {"sessions", row["sessions"]},
                                {"unmet", row["unmet"]},
                                {"unmetTotal", row["unmetTotal"]},
                                {"nearest", near.empty() ? json(nullptr) : json(near)}});
      }
      continue;
    }
    if (models.size() >= in.max_rows) continue;
    row["rank"] = models.size() + 1;
    row["earningsPerDayEstimate"] =
        row["medianPricePerSecond"].is_null()
            ? json(nullptr)
            : json(Round(row["score"].get<double>() * 24 * row["medianPricePerSecond"].get<double>(), 9));
    auto size = in.sizes.find(entry.first);
    row["sizeBytes"] = size == in.sizes.end() ? json(nullptr) : json(size->second);
    models.push_back(row);
  }
  return {{"window", in.window},
          {"windowSeconds", in.window_seconds},
          {"from", in.now > in.window_seconds ? in.now - in.window_seconds : 0},
          {"to", in.now},
          {"registeredKnown", in.registered.has_value()},
          {"models", models},
          {"unregistered", unregistered}};
}

}  // namespace lt::analytics
