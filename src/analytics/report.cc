#include "analytics/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "analytics/stats.h"

namespace lt::analytics {

using nlohmann::json;

json Thresholds::ToJson() const {
  return {{"minSessions", min_sessions},
          {"minUsers", min_users},
          {"abandonFraction", abandon_fraction},
          {"abandonFloorSeconds", abandon_floor_seconds},
          {"abandonWatch", abandon_watch},
          {"abandonFail", abandon_fail},
          {"zeroOutputWatch", zero_watch},
          {"zeroOutputFail", zero_fail},
          {"durationZWatch", z_watch},
          {"durationZFail", z_fail},
          {"madFloor", mad_floor},
          {"tpsWatch", tps_watch},
          {"tpsFail", tps_fail},
          {"heavyFactor", heavy_factor},
          {"heavyMinSessions", heavy_min_sessions},
          {"heavyShareWatch", heavy_watch},
          {"heavyShareFail", heavy_fail},
          {"serialMinSessions", serial_min_sessions},
          {"serialMinProviders", serial_min_providers},
          {"serialRate", serial_rate},
          {"serialWeight", serial_weight},
          {"weightByUser", weight_by_user}};
}

namespace {

double LogSeconds(uint32_t s) { return std::log(std::max<double>(s, 1.0)); }

// Observed tokens per second of one session (0 when it produced nothing).
double SessionTps(const Session& s) {
  if (s.tokens_out == 0 || s.seconds == 0) return 0;
  double gen = std::max(1.0, s.seconds - s.ttft_ms / 1000.0);
  return s.tokens_out / gen;
}

struct Unit {
  std::string model, provider;
  std::vector<const Session*> sessions;
  std::vector<double> weights;  // per session: trust(user) / sessions of that user here
  std::set<std::string> users;
  // Filled by Measure().
  double med_log = 0, early_rate = 0, zero_rate = 0, tps_obs = 0, claimed = 0, ratio = -1;
  double top1 = 0, top3 = 0, hhi = 0, total_seconds = 0, med_ttft = 0;
  std::map<std::string, std::pair<uint32_t, double>> per_user;  // user -> (sessions, seconds) here
};

std::string Fmt(double x) {
  std::ostringstream o;
  o << Round(x, 3);
  return o.str();
}

// Weighted median and MAD (scaled by 1.4826) of log-durations of a set of units' sessions.
std::pair<double, double> LogRef(const std::vector<const Unit*>& units) {
  std::vector<std::pair<double, double>> vw;
  for (const Unit* u : units)
    for (size_t i = 0; i < u->sessions.size(); ++i) vw.push_back({LogSeconds(u->sessions[i]->seconds), u->weights[i]});
  double med = WeightedMedian(vw);
  for (auto& p : vw) p.first = std::fabs(p.first - med);
  return {med, 1.4826 * WeightedMedian(vw)};
}

size_t SessionCount(const std::vector<const Unit*>& units) {
  size_t n = 0;
  for (const Unit* u : units) n += u->sessions.size();
  return n;
}

}  // namespace

json ComputeDailyReport(const ReportInput& in, const Thresholds& t) {
  // Model-wide quick reference for the serial test: the median seconds of each model with each
  // user weighing 1 in total (so a flood of short sessions from a few accounts cannot move it).
  std::map<std::pair<std::string, std::string>, uint32_t> per_model_user;
  for (const auto& s : in.sessions) ++per_model_user[{s.model, s.user_key}];
  std::map<std::string, std::vector<std::pair<double, double>>> model_secs;
  for (const auto& s : in.sessions) model_secs[s.model].push_back({s.seconds, 1.0 / per_model_user[{s.model, s.user_key}]});
  std::map<std::string, double> model_median;
  for (auto& [m, v] : model_secs) model_median[m] = WeightedMedian(v);
  auto quick_abandon = [&](const Session& s) {
    return s.seconds <= std::max<double>(t.abandon_floor_seconds, t.abandon_fraction * model_median[s.model]);
  };

  // Trust per user: serial abandoners weigh serial_weight.
  struct UserDay {
    uint32_t n = 0, abandons = 0;
    std::set<std::string> providers;
  };
  std::map<std::string, UserDay> users;
  for (const auto& s : in.sessions) {
    auto& u = users[s.user_key];
    ++u.n;
    u.abandons += quick_abandon(s) ? 1 : 0;
    u.providers.insert(s.provider);
  }
  std::map<std::string, double> trust;
  size_t serial = 0;
  for (const auto& [k, u] : users) {
    bool is_serial = u.n >= t.serial_min_sessions && u.providers.size() >= t.serial_min_providers &&
                     u.abandons >= t.serial_rate * u.n;
    trust[k] = is_serial && t.weight_by_user ? t.serial_weight : 1.0;
    serial += is_serial ? 1 : 0;
  }

  // Units: provider x model.
  std::map<std::pair<std::string, std::string>, Unit> units;
  for (const auto& s : in.sessions) {
    Unit& u = units[{s.model, s.provider}];
    u.model = s.model;
    u.provider = s.provider;
    u.sessions.push_back(&s);
    u.users.insert(s.user_key);
  }
  std::map<std::string, std::vector<Unit*>> by_model;
  for (auto& [k, u] : units) {
    std::map<std::string, uint32_t> per_user;
    for (const Session* s : u.sessions) ++per_user[s->user_key];
    for (const Session* s : u.sessions) {
      u.weights.push_back(t.weight_by_user ? trust[s->user_key] / per_user[s->user_key] : 1.0);
    }
    by_model[u.model].push_back(&u);
  }

  // Per-unit measures that need no reference.
  for (auto& [k, u] : units) {
    std::vector<std::pair<double, double>> logs, tps, ttft;
    double wsum = 0, zero = 0, claimed_w = 0, claimed = 0;
    std::map<std::string, double> user_secs;
    for (size_t i = 0; i < u.sessions.size(); ++i) {
      const Session& s = *u.sessions[i];
      double w = u.weights[i];
      wsum += w;
      logs.push_back({LogSeconds(s.seconds), w});
      if (s.tokens_out == 0) zero += w;
      if (s.tokens_out > 0) tps.push_back({SessionTps(s), w});
      if (s.tokens_out > 0) ttft.push_back({static_cast<double>(s.ttft_ms), w});
      if (s.claimed_tps > 0) {
        claimed += w * s.claimed_tps;
        claimed_w += w;
      }
      user_secs[s.user_key] += s.seconds;
      u.per_user[s.user_key].first++;
      u.per_user[s.user_key].second += s.seconds;
      u.total_seconds += s.seconds;
    }
    u.med_log = WeightedMedian(logs);
    u.zero_rate = wsum > 0 ? zero / wsum : 0;
    u.tps_obs = WeightedMedian(tps);
    u.med_ttft = WeightedMedian(ttft);
    u.claimed = claimed_w > 0 ? claimed / claimed_w : 0;
    u.ratio = u.claimed > 0 && !tps.empty() ? u.tps_obs / u.claimed : -1;
    std::vector<double> shares;
    for (const auto& [uk, secs] : user_secs) shares.push_back(u.total_seconds > 0 ? secs / u.total_seconds : 0);
    std::sort(shares.rbegin(), shares.rend());
    for (size_t i = 0; i < shares.size(); ++i) {
      if (i < 1) u.top1 += shares[i];
      if (i < 3) u.top3 += shares[i];
      u.hhi += shares[i] * shares[i];
    }
  }

  json providers = json::array();
  json counts = {{"pass", 0}, {"watch", 0}, {"fail", 0}, {"unjudged", 0}};
  json models = json::object();
  for (auto& [model, list] : by_model) {
    std::vector<const Unit*> all(list.begin(), list.end());
    // Heavy users (wash trading): a user whose seconds at one provider exceed heavy_factor x the
    // model's median seconds per (trusted user, provider) pair, over >= heavy_min_sessions sessions.
    std::vector<double> pair_secs;
    for (const Unit* u : all)
      for (const auto& [uk, ns] : u->per_user)
        if (trust[uk] >= 1.0) pair_secs.push_back(ns.second);
    double heavy_s = t.heavy_factor * Median(pair_secs);
    auto [pooled_med, pooled_mad] = LogRef(all);
    std::set<std::string> model_users;
    double model_secs_total = 0;
    size_t model_sessions = 0;
    for (const Unit* u : all) {
      model_users.insert(u->users.begin(), u->users.end());
      model_secs_total += u->total_seconds;
      model_sessions += u->sessions.size();
    }
    json mj = {{"sessions", model_sessions},
               {"users", model_users.size()},
               {"sessionSeconds", static_cast<uint64_t>(model_secs_total)},
               {"medianSeconds", Round(std::exp(pooled_med), 2)},
               {"providers", all.size()}};
    if (auto it = in.unmet.find(model); it != in.unmet.end()) mj["unmet"] = it->second;
    models[model] = mj;

    for (Unit* u : list) {
      std::vector<const Unit*> others;
      for (const Unit* o : all)
        if (o != u) others.push_back(o);
      bool loo = SessionCount(others) >= t.min_sessions;
      auto [ref_med, ref_mad] = loo ? LogRef(others) : std::make_pair(pooled_med, pooled_mad);
      double scale = std::max(ref_mad, t.mad_floor);
      double z = (u->med_log - ref_med) / scale;
      double early_s = std::max<double>(t.abandon_floor_seconds, t.abandon_fraction * std::exp(ref_med));
      double wsum = 0, early = 0;
      for (size_t i = 0; i < u->sessions.size(); ++i) {
        wsum += u->weights[i];
        if (u->sessions[i]->seconds <= early_s) early += u->weights[i];
      }
      u->early_rate = wsum > 0 ? early / wsum : 0;
      // TPS and concentration references: the other providers of the model with enough sessions.
      std::vector<double> ratios, top3s;
      for (const Unit* o : others) {
        if (o->sessions.size() < t.min_sessions) continue;
        if (o->ratio >= 0) ratios.push_back(o->ratio);
        top3s.push_back(o->top3);
      }
      double ref_ratio = ratios.empty() ? -1 : std::min(1.0, Median(ratios));
      double relative = u->ratio >= 0 && ref_ratio > 0 ? u->ratio / ref_ratio : -1;
      double ref_top3 = top3s.empty() ? 0 : Median(top3s);
      double heavy_secs = 0;
      size_t heavy_users = 0;
      for (const auto& [uk, ns] : u->per_user) {
        if (ns.first >= t.heavy_min_sessions && ns.second > heavy_s) {
          heavy_secs += ns.second;
          ++heavy_users;
        }
      }
      double heavy_share = u->total_seconds > 0 ? heavy_secs / u->total_seconds : 0;

      std::vector<std::string> reasons;
      bool fail = false, watch = false;
      auto check = [&](bool f, bool w, const std::string& what) {
        if (f) {
          fail = true;
          reasons.push_back(what + " (fail)");
        } else if (w) {
          watch = true;
          reasons.push_back(what + " (watch)");
        }
      };
      bool enough = u->sessions.size() >= t.min_sessions;
      if (enough) {
        check(u->early_rate >= t.abandon_fail, u->early_rate >= t.abandon_watch,
              "early_abandon_rate " + Fmt(u->early_rate) + " >= " + Fmt(u->early_rate >= t.abandon_fail ? t.abandon_fail : t.abandon_watch));
        check(u->zero_rate >= t.zero_fail, u->zero_rate >= t.zero_watch,
              "zero_output_rate " + Fmt(u->zero_rate) + " >= " + Fmt(u->zero_rate >= t.zero_fail ? t.zero_fail : t.zero_watch));
        check(z <= -t.z_fail, std::fabs(z) >= t.z_watch,
              std::string(z < 0 ? "short" : "long") + " sessions: duration robust z " + Fmt(z));
        if (relative >= 0) {
          check(relative <= t.tps_fail, relative <= t.tps_watch,
                "observed/claimed TPS " + Fmt(u->ratio) + " is " + Fmt(relative) + " of the model's " + Fmt(ref_ratio));
        }
        check(heavy_share >= t.heavy_fail, heavy_share >= t.heavy_watch,
              std::to_string(heavy_users) + " heavy users hold " + Fmt(heavy_share) + " of session-seconds (>= " +
                  Fmt(heavy_share >= t.heavy_fail ? t.heavy_fail : t.heavy_watch) + ")");
        size_t trusted = 0;
        for (const auto& uk : u->users) trusted += trust[uk] >= 1.0 ? 1 : 0;
        if (fail && trusted < t.min_users) {
          fail = false;
          watch = true;
          reasons.push_back("only " + std::to_string(trusted) + " distinct trusted users: fail lowered to watch");
        }
      } else {
        reasons.push_back("too_few_sessions: " + std::to_string(u->sessions.size()) + " < " + std::to_string(t.min_sessions));
      }
      std::string verdict = fail ? "fail" : watch ? "watch" : "pass";
      const char* counted = enough ? verdict.c_str() : "unjudged";  // the verdict stays "pass" (schema 1)
      counts[counted] = counts[counted].get<int>() + 1;

      std::vector<double> secs;
      for (const Session* s : u->sessions) secs.push_back(s->seconds);
      std::sort(secs.begin(), secs.end());
      auto pct = [&](double q) { return secs[std::min(secs.size() - 1, static_cast<size_t>(q * (secs.size() - 1) + 0.5))]; };
      providers.push_back(
          {{"provider", u->provider},
           {"model", model},
           {"sessions", u->sessions.size()},
           {"users", u->users.size()},
           {"sessionSeconds", static_cast<uint64_t>(u->total_seconds)},
           {"duration",
            {{"p10", pct(0.1)},
             {"p25", pct(0.25)},
             {"p50", pct(0.5)},
             {"p75", pct(0.75)},
             {"p90", pct(0.9)},
             {"medianLogSeconds", Round(u->med_log)},
             {"modelMedianLogSeconds", Round(ref_med)},
             {"modelScale", Round(scale)},
             {"reference", loo ? "other_providers" : "pooled"},
             {"robustZ", Round(z, 3)}}},
           {"earlyAbandonSeconds", Round(early_s, 2)},
           {"earlyAbandonRate", Round(u->early_rate)},
           {"zeroOutputRate", Round(u->zero_rate)},
           {"medianTtftMs", Round(u->med_ttft, 1)},
           {"tps",
            {{"claimed", Round(u->claimed, 2)},
             {"observed", Round(u->tps_obs, 2)},
             {"ratio", u->ratio >= 0 ? json(Round(u->ratio)) : json(nullptr)},
             {"modelRatio", ref_ratio > 0 ? json(Round(ref_ratio)) : json(nullptr)},
             {"relative", relative >= 0 ? json(Round(relative)) : json(nullptr)}}},
           {"concentration",
            {{"topUserShare", Round(u->top1)},
             {"top3Share", Round(u->top3)},
             {"hhi", Round(u->hhi)},
             {"modelTop3Share", Round(ref_top3)},
             {"heavyUserSeconds", Round(heavy_s, 1)},
             {"heavyUsers", heavy_users},
             {"heavyShare", Round(heavy_share)}}},
           {"verdict", verdict},
           {"reasons", reasons}});
    }
  }
  json unmet = json::object();
  for (const auto& [m, r] : in.unmet) unmet[m] = r;
  return {{"schema", 1},
          {"kind", "lt-analytics-daily-report"},
          {"router", in.router},
          {"day", in.day},
          {"daySeconds", in.day_seconds},
          {"from", in.day * in.day_seconds},
          {"to", (in.day + 1) * in.day_seconds},
          {"generatedAt", in.generated_at},
          {"sessions", in.sessions.size()},
          {"users", users.size()},
          {"serialAbandoners", serial},
          {"thresholds", t.ToJson()},
          {"models", models},
          {"unmet", unmet},
          {"providers", providers},
          {"verdicts", counts}};
}

}  // namespace lt::analytics
