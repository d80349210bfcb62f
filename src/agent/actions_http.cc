#include "agent/actions_http.h"

#include <algorithm>
#include <cctype>
#include <memory>

namespace lt::agent {

using json = nlohmann::json;

namespace {

// The host part of a Host header ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1").
std::string HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return std::string(close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

bool IsIpv4(std::string_view h) {
  int parts = 0;
  while (true) {
    size_t dot = h.find('.');
    std::string_view p = h.substr(0, dot);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    if (std::stoi(std::string(p)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// The page's own origin is trusted only when the browser reached it by address or as localhost:
// under DNS rebinding a page of evil.example reaches 127.0.0.1 with Host and Origin both naming
// evil.example, so "Origin equals Host" alone would let it list and confirm actions.
bool AddressedDirectly(std::string_view host_header) {
  std::string h = HostName(host_header);
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (h == "localhost" || (h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0)) return true;
  if (IsIpv4(h)) return true;
  return !h.empty() && h.find(':') != std::string::npos &&
         std::all_of(h.begin(), h.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
}

struct Guard {
  ActionsHttpOptions options;
  std::optional<net::HttpResponse> Refuse(const net::HttpRequest& req, bool api) const {
    std::string origin = req.Header("Origin");
    std::string host = req.Header("Host");
    if (!host.empty() && !AddressedDirectly(host) &&
        std::find(options.allow_origins.begin(), options.allow_origins.end(), "http://" + host) ==
            options.allow_origins.end()) {
      return net::HttpResponse::ErrorJson(403, "permission_denied",
                                          "Host " + host.substr(0, 200) +
                                              " is not an address or localhost (a DNS-rebinding guard; give "
                                              "--allow-origin http://" + host.substr(0, 200) + " to allow it)");
    }
    if (!origin.empty() && origin != "http://" + host &&
        std::find(options.allow_origins.begin(), options.allow_origins.end(), origin) == options.allow_origins.end()) {
      return net::HttpResponse::ErrorJson(403, "permission_denied", "origin " + origin.substr(0, 200) + " is not allowed");
    }
    if (req.method == "POST") {
      std::string ct = req.Header("Content-Type");
      if (ct.rfind("application/json", 0) != 0) {
        return net::HttpResponse::ErrorJson(415, "invalid_argument", "POST needs Content-Type: application/json");
      }
    }
    if (api && !options.api_key.empty() && !ConstantTimeEquals(req.Header("Authorization"), "Bearer " + options.api_key)) {
      return net::HttpResponse::ErrorJson(401, "unauthenticated", "missing or wrong API key (Authorization: Bearer)");
    }
    return std::nullopt;
  }
};

net::HttpResponse Answer(const Result<json>& r) {
  if (!r.ok()) return net::HttpResponse::FromError(r.error());
  return net::HttpResponse::Json(200, *r);
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void RegisterActionRoutes(net::HttpServer& http, ActionStore* store, ActionsHttpOptions options) {
  auto guard = std::make_shared<Guard>(Guard{std::move(options)});
  http.Get("/v1/lt/actions", [store, guard](const net::HttpRequest& req) {
    if (auto r = guard->Refuse(req, true)) return *r;
    return net::HttpResponse::Json(200, {{"object", "list"}, {"data", store->List()}});
  });
  http.Get("/v1/lt/actions/([^/]+)", [store, guard](const net::HttpRequest& req) {
    if (auto r = guard->Refuse(req, true)) return *r;
    return Answer(store->Get(req.matches[1]));
  });
  http.Post("/v1/lt/actions/([^/]+)/confirm", [store, guard](const net::HttpRequest& req) {
    if (auto r = guard->Refuse(req, true)) return *r;
    return Answer(store->Confirm(req.matches[1]));
  });
  http.Post("/v1/lt/actions/([^/]+)/reject", [store, guard](const net::HttpRequest& req) {
    if (auto r = guard->Refuse(req, true)) return *r;
    return Answer(store->Reject(req.matches[1]));
  });
  http.Get("/lt/actions", [guard](const net::HttpRequest& req) {
    if (auto r = guard->Refuse(req, false)) return *r;
    net::HttpResponse resp;
    resp.content_type = "text/html; charset=utf-8";
    resp.body = ActionsPageHtml();
    resp.headers.emplace("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    resp.headers.emplace("X-Frame-Options", "DENY");
    return resp;
  });
}

const std::string& ActionsPageHtml() {
  static const std::string kPage = R"HTML(<!doctype html>
<html><head><meta charset="utf-8"><title>Lake Travis: pending actions</title>
<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}
.action{border:1px solid #999;border-radius:6px;padding:1em;margin:1em 0}
.state{font-weight:bold}button{font-size:1em;margin-right:1em}</style></head>
<body><h1>Actions proposed by agents</h1>
<p>Nothing is signed or sent until you press Confirm. Reject sends nothing.</p>
<div id="message"></div><div id="list">loading...</div>
<script>
function key(){return sessionStorage.getItem('ltkey')||'';}
async function call(method, path){
  const h={'Content-Type':'application/json'};
  if(key())h['Authorization']='Bearer '+key();
  let r=await fetch(path,{method:method,headers:h,body:method==='POST'?'{}':undefined});
  if(r.status===401){const k=prompt('API key of lt client serve');if(k){sessionStorage.setItem('ltkey',k);return call(method,path);}}
  return r.json();
}
function esc(s){return String(s).replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));}
async function act(id, what){
  const r=await call('POST','/v1/lt/actions/'+encodeURIComponent(id)+'/'+what);
  document.getElementById('message').textContent=r.error?r.error.message:'';
  load();
}
async function load(){
  const r=await call('GET','/v1/lt/actions');
  const list=document.getElementById('list');
  if(!r.data){list.textContent=r.error?r.error.message:'error';return;}
  if(r.data.length===0){list.textContent='No actions.';return;}
  list.innerHTML=r.data.map(a=>{
    let h='<div class="action" id="action-'+esc(a.id)+'"><div class="state">'+esc(a.state)+'</div>';
    h+='<p>'+esc(a.text)+'</p><p>Contract: '+esc(a.contract.name)+' at '+esc(a.contract.address)+
       ' (chain '+esc(a.chain_id)+')<br>Function: '+esc(a.function)+'<br>Arguments: '+esc(JSON.stringify(a.args))+'</p>';
    if(a.tx_hash)h+='<p>Transaction: <code class="tx">'+esc(a.tx_hash)+'</code></p>';
    if(a.error)h+='<p>Error: '+esc(a.error)+'</p>';
    if(a.state==='pending')h+='<button class="confirm" onclick="act(\''+esc(a.id)+'\',\'confirm\')">Confirm</button>'+
       '<button class="reject" onclick="act(\''+esc(a.id)+'\',\'reject\')">Reject</button>';
    return h+'</div>';}).join('');
}
load();setInterval(load,3000);
</script></body></html>
)HTML";
  return kPage;
}

}  // namespace lt::agent
