#include "registry/gateway_request.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace lt::registry {
namespace {

constexpr size_t kMaxAccept = 4096;
constexpr size_t kMaxRanges = 32;
constexpr std::string_view kRawType = "application/vnd.ipld.raw";
constexpr std::string_view kCarType = "application/vnd.ipld.car";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct MediaRange {
  std::string type;
  std::map<std::string, std::string> params;
  double q = 1.0;
  size_t order = 0;
};

// q = 0, 0.5, 1, 1.000 (RFC 9110 qvalue); anything else is treated as 0 (not acceptable).
double ParseQ(std::string_view v) {
  if (v.empty() || v.size() > 5) return 0;
  if (v[0] != '0' && v[0] != '1') return 0;
  double q = v[0] - '0', scale = 0.1;
  if (v.size() > 1) {
    if (v[1] != '.') return 0;
    for (size_t i = 2; i < v.size(); ++i) {
      if (v[i] < '0' || v[i] > '9') return 0;
      q += (v[i] - '0') * scale;
      scale /= 10;
    }
  }
  return q > 1 ? 0 : q;
}

std::vector<MediaRange> ParseAccept(std::string_view accept) {
  std::vector<MediaRange> out;
  size_t start = 0;
  while (start <= accept.size() && out.size() < kMaxRanges) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(start, end - start);
    start = end + 1;
    MediaRange m;
    m.order = out.size();
    size_t semi = item.find(';');
    m.type = Lower(Trim(item.substr(0, semi)));
    while (semi != std::string_view::npos) {
      size_t next = item.find(';', semi + 1);
      std::string_view p = Trim(item.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1));
      semi = next;
      size_t eq = p.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key = Lower(Trim(p.substr(0, eq)));
      std::string_view val = Trim(p.substr(eq + 1));
      if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
      if (key == "q") {
        m.q = ParseQ(val);
      } else {
        m.params[key] = Lower(val);
      }
    }
    if (!m.type.empty()) out.push_back(std::move(m));
    if (end == accept.size()) break;
  }
  std::stable_sort(out.begin(), out.end(), [](const MediaRange& a, const MediaRange& b) { return a.q > b.q; });
  return out;
}

// Whether the CAR parameters of a media range (or the query) are ones we can answer.
bool CarParamsOk(const std::map<std::string, std::string>& p, bool* dups) {
  if (auto v = p.find("version"); v != p.end() && v->second != "1") return false;
  if (auto o = p.find("order"); o != p.end() && o->second != "dfs" && o->second != "unk") return false;
  if (auto d = p.find("dups"); d != p.end()) {
    if (d->second != "y" && d->second != "n") return false;
    *dups = d->second == "y";
  }
  return true;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  if (s[0] == '+') return std::nullopt;
  return v;
}

std::string Query(const std::multimap<std::string, std::string>& q, const std::string& k, bool* present) {
  auto it = q.find(k);
  *present = it != q.end();
  return *present ? it->second : std::string();
}

ParsedGatewayRequest Fail(int status, std::string message) {
  ParsedGatewayRequest p;
  p.error = {status, std::move(message)};
  return p;
}

}  // namespace

std::string_view DagScopeName(DagScope s) {
  switch (s) {
    case DagScope::kAll: return "all";
    case DagScope::kEntity: return "entity";
    case DagScope::kBlock: return "block";
  }
  return "all";
}

std::optional<EntityBytes> ParseEntityBytes(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto from = ParseInt(s.substr(0, colon));
  if (!from) return std::nullopt;
  EntityBytes e;
  e.from = *from;
  std::string_view to = s.substr(colon + 1);
  if (to != "*") {
    auto t = ParseInt(to);
    if (!t) return std::nullopt;
    e.to = *t;
  }
  return e;
}

ParsedGatewayRequest ParseGatewayRequest(std::string_view accept, const std::multimap<std::string, std::string>& query) {
  if (accept.size() > kMaxAccept) return Fail(400, "the Accept header is longer than 4096 bytes");
  GatewayRequest r;
  bool have_format = false, have_accept_choice = false, present = false;
  std::vector<MediaRange> ranges = ParseAccept(accept);
  std::string format = Query(query, "format", &present);
  if (present) {
    if (format == "raw") {
      r.format = GatewayFormat::kRaw;
    } else if (format == "car") {
      r.format = GatewayFormat::kCar;
    } else {
      return Fail(400, "format '" + format.substr(0, 64) +
                           "' is not served here: this is a trustless gateway (format=raw or format=car)");
    }
    have_format = true;
    // Accept may still carry CAR parameters.
    for (const MediaRange& m : ranges) {
      if (m.type == kCarType && m.q > 0) {
        bool dups = r.dups;
        if (CarParamsOk(m.params, &dups)) {
          r.dups = dups;
          break;
        }
      }
    }
  } else {
    bool any_named = false;
    for (const MediaRange& m : ranges) {
      if (m.q <= 0) continue;
      if (m.type == kRawType) {
        r.format = GatewayFormat::kRaw;
        have_accept_choice = true;
        break;
      }
      if (m.type == kCarType) {
        bool dups = false;
        if (!CarParamsOk(m.params, &dups)) {
          any_named = true;
          continue;
        }
        r.format = GatewayFormat::kCar;
        r.dups = dups;
        have_accept_choice = true;
        break;
      }
      if (m.type != "*/*" && m.type != "application/*") any_named = true;
    }
    if (!have_accept_choice) {
      if (any_named) {
        return Fail(406, "none of the Accept types is served here: ask for application/vnd.ipld.raw or "
                         "application/vnd.ipld.car (version=1, order=dfs|unk, dups=y|n)");
      }
      return Fail(400, "this is a trustless gateway: ask for ?format=raw or ?format=car (or Accept: "
                       "application/vnd.ipld.raw or application/vnd.ipld.car)");
    }
  }
  (void)have_format;
  if (r.format == GatewayFormat::kCar) {
    std::map<std::string, std::string> qp;
    for (const char* k : {"car-version", "car-order", "car-dups"}) {
      std::string v = Query(query, k, &present);
      if (present) qp[std::string(k).substr(4)] = Lower(v);
    }
    bool dups = r.dups;
    if (!CarParamsOk(qp, &dups)) {
      return Fail(400, "unsupported CAR parameters: car-version must be 1, car-order dfs or unk, car-dups y or n");
    }
    r.dups = dups;
    std::string scope = Query(query, "dag-scope", &present);
    if (present) {
      if (scope == "all") {
        r.scope = DagScope::kAll;
      } else if (scope == "entity") {
        r.scope = DagScope::kEntity;
      } else if (scope == "block") {
        r.scope = DagScope::kBlock;
      } else {
        return Fail(400, "dag-scope must be block, entity or all, not '" + scope.substr(0, 64) + "'");
      }
    }
    std::string range = Query(query, "entity-bytes", &present);
    if (present) {
      auto e = ParseEntityBytes(range);
      if (!e) return Fail(400, "entity-bytes must be from:to (integers, to may be '*'), not '" + range.substr(0, 64) + "'");
      r.entity_bytes = *e;
      r.scope = DagScope::kEntity;
    }
  }
  ParsedGatewayRequest out;
  out.request = r;
  return out;
}

}  // namespace lt::registry
