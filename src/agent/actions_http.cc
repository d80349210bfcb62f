#include "agent/actions_http.h"

#include <algorithm>
#include <memory>

namespace lt::agent {

using json = nlohmann::json;

namespace {

struct Guard {
  ActionsHttpOptions options;
  std::optional<net::HttpResponse> Refuse(const net::HttpRequest& req, bool api) const {
    std::string origin = req.Header("Origin");
    if (!origin.empty() && origin != "http://" + req.Header("Host") &&
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
