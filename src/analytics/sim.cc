#include "analytics/sim.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <sstream>
#include <vector>

namespace lt::analytics {

using nlohmann::json;

Result<std::map<std::string, int>> ParseBadSpec(const std::string& spec) {
  std::map<std::string, int> out;
  if (spec.empty() || spec == "none") return out;
  static const std::set<std::string> kinds = {"abandon", "overstate", "wash", "yellowstone"};
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto colon = item.find(':');
    std::string kind = item.substr(0, colon);
    if (!kinds.count(kind)) {
      return InvalidArgument("--bad: unknown misbehaviour '" + kind + "' (abandon, overstate, wash, yellowstone)");
    }
    int n = 1;
    if (colon != std::string::npos) {
      std::string num = item.substr(colon + 1);
      if (num.empty() || num.size() > 6 || num.find_first_not_of("0123456789") != std::string::npos) {
        return InvalidArgument("--bad: '" + item + "': the count must be a non-negative integer");
      }
      n = std::stoi(num);
    }
    out[kind] += n;
  }
  return out;
}

json SimResult::ToJson() const {
  json kinds = json::object();
  for (const auto& [k, v] : by_kind) kinds[k] = {{"failed", v.first}, {"units", v.second}};
  return {{"sessions", sessions},
          {"tp", tp},
          {"fp", fp},
          {"fn", fn},
          {"tn", tn},
          {"watchPositive", watch_positive},
          {"watchNegative", watch_negative},
          {"precision", precision},
          {"recall", recall},
          {"falsePositiveRate", fpr},
          {"byKind", kinds},
          {"honestUnits", honest_units},
          {"honestFailed", honest_failed},
          {"victimUnits", victim_units},
          {"victimFailed", victim_failed},
          {"victimFailedWithoutUserWeighting", victim_failed_unweighted},
          {"honestFailReasons", honest_fail_reasons},
          {"missedReasons", missed_reasons}};
}

namespace {

struct SimModel {
  std::string name;
  double median_seconds, tps, popularity;
};

struct SimProvider {
  std::string address, kind = "honest";
  int model = 0;
  double tps = 0, claimed = 0, price = 0;
};

}  // namespace

Result<SimResult> RunMarketSim(const SimOptions& o) {
  if (o.providers < 2 || o.providers > 10000) return InvalidArgument("--providers must be between 2 and 10000");
  if (o.users < 1 || o.users > 1000000) return InvalidArgument("--users must be between 1 and 1000000");
  if (o.days < 1 || o.days > 365) return InvalidArgument("--days must be between 1 and 365");
  LT_TRY(auto bad, ParseBadSpec(o.bad));
  int nbad = 0;
  for (const auto& [k, n] : bad) nbad += n;
  if (nbad > o.providers) return InvalidArgument("--bad names more misbehaving providers than --providers");

  std::mt19937_64 rng(o.seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto chance = [&](double p) { return uni(0, 1) < p; };
  const std::vector<SimModel> models = {{"sim/chat-7b:q8", 180, 30, 0.35},
                                        {"sim/code-13b:q8", 300, 15, 0.30},
                                        {"sim/tiny-1b:f16", 60, 80, 0.20},
                                        {"sim/reason-70b:q4", 400, 8, 0.15}};
  int nmodels = std::min<int>(models.size(), std::max(1, o.providers / 3));
  std::vector<SimProvider> providers(o.providers);
  for (int i = 0; i < o.providers; ++i) {
    auto& p = providers[i];
    std::ostringstream a;
    a << "0xp" << i;
    p.address = a.str();
    p.model = i % nmodels;
    p.tps = models[p.model].tps * uni(0.8, 1.2);
    p.claimed = p.tps * uni(0.9, 1.1);
    p.price = uni(1e-5, 3e-5);
  }
  std::vector<int> order(o.providers);
  for (int i = 0; i < o.providers; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  size_t next = 0;
  for (const auto& [kind, n] : bad)
    for (int k = 0; k < n; ++k) providers[order[next++]].kind = kind;
  for (auto& p : providers)
    if (p.kind == "overstate") p.claimed = p.tps * 3;
  std::vector<std::vector<int>> serving(nmodels);
  for (int i = 0; i < o.providers; ++i) serving[providers[i].model].push_back(i);

  std::vector<double> user_rate(o.users);
  for (auto& r : user_rate) r = uni(1, 5);

  SimResult res;
  auto session = [&](const SimProvider& p, uint64_t day_start, const std::string& user, double seconds,
                     bool zero) {
    Session s;
    s.session_id = "s" + std::to_string(res.sessions++);
    s.model = models[p.model].name;
    s.provider = p.address;
    s.started = day_start + static_cast<uint64_t>(uni(0, 86000));
    s.seconds = static_cast<uint32_t>(std::clamp(seconds, 1.0, 3600.0));
    s.ttft_ms = zero ? 0 : static_cast<uint32_t>(uni(200, 900));
    double gen = std::max(0.0, s.seconds - s.ttft_ms / 1000.0);
    s.tokens_out = zero ? 0 : static_cast<uint32_t>(p.tps * uni(0.3, 0.6) * gen);
    s.claimed_tps = static_cast<uint32_t>(std::lround(p.claimed));
    s.price_per_second = p.price;
    s.user_key = user;
    return s;
  };

  for (int day = 0; day < o.days; ++day) {
    uint64_t day_start = static_cast<uint64_t>(20000 + day) * 86400;
    std::vector<Session> sessions;
    std::set<int> victims;
    for (int u = 0; u < o.users; ++u) {
      int n = std::poisson_distribution<int>(user_rate[u])(rng);
      for (int k = 0; k < n; ++k) {
        double r = uni(0, 1), acc = 0;
        int m = nmodels - 1;
        double total = 0;
        for (int j = 0; j < nmodels; ++j) total += models[j].popularity;
        for (int j = 0; j < nmodels; ++j) {
          acc += models[j].popularity / total;
          if (r < acc) {
            m = j;
            break;
          }
        }
        // Cheaper providers are chosen more often.
        double wsum = 0;
        for (int i : serving[m]) wsum += 1 / providers[i].price;
        double pick = uni(0, wsum);
        int chosen = serving[m].back();
        for (int i : serving[m]) {
          pick -= 1 / providers[i].price;
          if (pick <= 0) {
            chosen = i;
            break;
          }
        }
        const SimProvider& p = providers[chosen];
        double median = models[m].median_seconds;
        double secs = std::exp(std::normal_distribution<double>(std::log(median), 0.7)(rng));
        bool zero = chance(0.02);
        if (chance(0.05)) secs = uni(1, 0.1 * median);  // honest early leave
        if (p.kind == "abandon" && chance(0.6)) {
          secs = uni(1, 5);
          zero = chance(0.7);
        }
        sessions.push_back(session(p, day_start, "u" + std::to_string(u), secs, zero));
      }
    }
    for (int i = 0; i < o.providers; ++i) {
      const SimProvider& p = providers[i];
      if (p.kind == "wash") {
        for (int a = 0; a < 3; ++a)
          for (int k = 0; k < 15; ++k) {
            double secs = std::exp(std::normal_distribution<double>(std::log(2.5 * models[p.model].median_seconds), 0.3)(rng));
            sessions.push_back(session(p, day_start, "w" + std::to_string(i) + "-" + std::to_string(a), secs, false));
          }
      }
      if (p.kind == "yellowstone") {
        std::vector<int> targets;
        for (int j : serving[p.model])
          if (j != i) targets.push_back(j);
        if (targets.empty()) continue;
        for (int a = 0; a < 10; ++a)
          for (int k = 0; k < 40; ++k) {
            int v = targets[std::uniform_int_distribution<size_t>(0, targets.size() - 1)(rng)];
            victims.insert(v);
            sessions.push_back(session(providers[v], day_start, "y" + std::to_string(i) + "-" + std::to_string(a), uni(1, 3), true));
          }
      }
    }

    ReportInput in;
    in.day = 20000 + day;
    in.router = "0xsim";
    in.sessions = sessions;
    json report = ComputeDailyReport(in, o.thresholds);
    Thresholds plain = o.thresholds;
    plain.weight_by_user = false;
    json unweighted = ComputeDailyReport(in, plain);
    std::map<std::string, std::string> plain_verdict;
    for (const auto& u : unweighted["providers"]) plain_verdict[u["provider"].get<std::string>()] = u["verdict"];

    std::map<std::string, int> index;
    for (int i = 0; i < o.providers; ++i) index[providers[i].address] = i;
    for (const auto& u : report["providers"]) {
      int i = index[u["provider"].get<std::string>()];
      const std::string& kind = providers[i].kind;
      std::string verdict = u["verdict"];
      bool positive = kind == "abandon" || kind == "overstate" || kind == "wash";
      bool failed = verdict == "fail";
      if (positive) {
        (failed ? res.tp : res.fn)++;
        if (!failed && res.missed_reasons.size() < 5) {
          res.missed_reasons.push_back(kind + " " + u["provider"].get<std::string>() + " day " + std::to_string(day) + ": " +
                                       verdict + " " + u["reasons"].dump() + " tps " + u["tps"].dump() + " sessions " +
                                       u["sessions"].dump());
        }
        if (verdict == "watch") ++res.watch_positive;
      } else {
        (failed ? res.fp : res.tn)++;
        if (verdict == "watch") ++res.watch_negative;
      }
      auto& bk = res.by_kind[kind];
      bk.second++;
      if (failed) bk.first++;
      if (kind == "honest") {
        ++res.honest_units;
        if (failed) ++res.honest_failed;
        if (failed && res.honest_fail_reasons.size() < 5) {
          res.honest_fail_reasons.push_back(u["provider"].get<std::string>() + " day " + std::to_string(day) + ": " +
                                            u["reasons"].dump() + " users " + u["users"].dump() + " sessions " +
                                            u["sessions"].dump());
        }
        if (victims.count(i)) {
          ++res.victim_units;
          if (failed) ++res.victim_failed;
          if (plain_verdict[providers[i].address] == "fail") ++res.victim_failed_unweighted;
        }
      }
    }
  }
  res.precision = res.tp + res.fp > 0 ? static_cast<double>(res.tp) / (res.tp + res.fp) : 1.0;
  res.recall = res.tp + res.fn > 0 ? static_cast<double>(res.tp) / (res.tp + res.fn) : 1.0;
  res.fpr = res.fp + res.tn > 0 ? static_cast<double>(res.fp) / (res.fp + res.tn) : 0.0;
  return res;
}

}  // namespace lt::analytics
