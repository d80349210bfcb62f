#include "analytics/dashboard.h"

namespace lt::analytics {

namespace {

constexpr std::string_view kHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lake Travis router</title>
<style>
:root { --bg:#f6f7f9; --fg:#1d232b; --muted:#667; --card:#fff; --line:#e1e4e8; --pass:#1a7f37; --watch:#9a6700; --fail:#cf222e; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --fg:#e6edf3; --muted:#8b949e; --card:#161b22; --line:#30363d; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
header { padding:12px 16px; border-bottom:1px solid var(--line); display:flex; flex-wrap:wrap; gap:8px 16px; align-items:baseline; }
header h1 { font-size:18px; margin:0; }
header .meta { color:var(--muted); font-size:13px; word-break:break-all; }
main { padding:12px; display:grid; gap:12px; grid-template-columns:1fr; max-width:1200px; margin:0 auto; }
@media (min-width: 900px) { main { grid-template-columns:1fr 1fr; } .wide { grid-column:1 / -1; } }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px; overflow-x:auto; }
h2 { font-size:16px; margin:0 0 8px; display:flex; justify-content:space-between; gap:8px; flex-wrap:wrap; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; font-weight:600; }
.pass { background:var(--pass); } .watch { background:var(--watch); } .fail { background:var(--fail); }
.unjudged { background:var(--muted); }
.muted { color:var(--muted); font-size:13px; }
.addr { font-family:ui-monospace, monospace; font-size:12px; word-break:break-all; }
button { font:inherit; padding:2px 10px; border:1px solid var(--line); background:var(--bg); color:var(--fg); border-radius:6px; }
button.on { background:var(--fg); color:var(--bg); }
ul.reasons { margin:0; padding-left:16px; font-size:12px; color:var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Lake Travis router</h1>
  <span class="meta" id="router">loading...</span>
  <span class="meta" id="updated"></span>
</header>
<main>
  <section class="wide" id="leaderboard-section">
    <h2><span>Leaderboard: models by demand</span>
      <span><button id="w-day">day</button> <button id="w-week" class="on">week</button></span></h2>
    <p class="muted" id="window"></p>
    <table id="leaderboard"><thead><tr><th>#</th><th>Model</th><th>Size</th><th>Score</th><th>Sessions</th><th>Session-s</th>
      <th>Users</th><th>Unmet</th><th>Median MOR/s</th><th>Est. MOR/day</th><th>Providers</th></tr></thead><tbody></tbody></table>
    <p class="muted">Only models registered on the ledger are ranked. Score: session-seconds bought or asked for per hour, per provider offering the model plus one newcomer.
      Est. MOR/day: what one more provider could earn a day at that score and the median price (an estimate from this window, not a promise).</p>
  </section>
  <section class="wide" id="unregistered-section">
    <h2><span>Asked for, but not registered on the ledger</span></h2>
    <table id="unregistered"><thead><tr><th>Name asked for</th><th>Unmet requests</th><th>Nearest registered name</th></tr></thead><tbody></tbody></table>
    <p class="muted">Requests for names nobody published (often typos). Not ranked: publish the model (<code>lt model push</code>) to make it servable.</p>
  </section>
  <section id="providers-section">
    <h2><span>Providers and verdicts</span><span class="muted" id="report-day"></span></h2>
    <table id="providers"><thead><tr><th>Provider</th><th>Model</th><th>Sessions</th><th>Verdict</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="reports-section">
    <h2><span>Reports by day</span></h2>
    <table id="reports"><thead><tr><th>Day</th><th>Pass</th><th>Watch</th><th>Fail</th><th title="providers with too few sessions to judge">Unjudged</th><th></th></tr></thead><tbody></tbody></table>
    <p class="muted">Each report is JSON signed by the router (EIP-191 over keccak-256 of canonical JSON); check one with <code>lt report verify FILE</code>.</p>
  </section>
</main>
<script>
"use strict";
let win = "week";
const $ = (id) => document.getElementById(id);
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c])); }
function pad(n) { return String(n).padStart(2, "0"); }
function ymd(d) { return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
function hms(d) { return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()); }
// A ledger day as dates (ledger/day_label.h says the same in C++).
function dayLabel(day, ds) {
  if (!ds) return "day " + day;
  const a = new Date(day * ds * 1000), b = new Date((day + 1) * ds * 1000);
  if (ds === 86400) return ymd(a);
  return ymd(a) === ymd(b) ? ymd(a) + " " + hms(a) + "-" + hms(b) + " UTC" : ymd(a) + " " + hms(a) + "-" + ymd(b) + " " + hms(b) + " UTC";
}
function when(unix) { const d = new Date(unix * 1000); return ymd(d) + " " + hms(d) + " UTC"; }
function size(n) {
  if (n === null || n === undefined) return "–";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let v = n, i = 0;
  while (v >= 1000 && i < u.length - 1) { v /= 1000; ++i; }
  return (i ? v.toFixed(1) : String(v)) + " " + u[i];
}
// The verdict as it should read: a provider with too few sessions was not judged at all.
function badge(p) {
  const unjudged = p.verdict === "pass" && p.reasons.some((r) => r.startsWith("too_few_sessions"));
  const cls = unjudged ? "unjudged" : p.verdict;
  const text = unjudged ? "too few sessions to judge" : p.verdict;
  return "<span class=\"badge " + esc(cls) + "\">" + esc(text) + "</span>";
}
function short(a) { a = String(a); return a.length > 14 ? a.slice(0, 8) + "…" + a.slice(-4) : a; }
async function getJson(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function fill(id, rows, empty, cols) {
  const tb = $(id).querySelector("tbody");
  tb.innerHTML = rows.length ? rows.join("") : "<tr><td class=\"muted\" colspan=\"" + cols + "\">" + esc(empty) + "</td></tr>";
}
async function refreshBoard() {
  const b = await getJson("/leaderboard?window=" + win);
  $("router").textContent = "router " + b.router + " · ledger days last " + b.daySeconds + " s";
  $("window").textContent = "From " + when(b.from) + " to " + when(b.to) + (b.registeredKnown ? "" : " · the ledger's names could not be read: every name is ranked");
  fill("unregistered", (b.unregistered || []).map((m) => "<tr><td class=\"model\">" + esc(m.model) + "</td><td class=\"num\">" +
    m.unmetTotal + "</td><td>" + (m.nearest ? esc(m.nearest) : "–") + "</td></tr>"), "None in this window.", 3);
  fill("leaderboard", b.models.map((m) => {
    const unmet = Object.entries(m.unmet).map(([k, v]) => esc(k) + ": " + v).join(", ");
    return "<tr><td class=\"num\">" + m.rank + "</td><td class=\"model\">" + esc(m.model) + "</td><td class=\"num\">" + size(m.sizeBytes) +
      "</td><td class=\"num\">" + m.score +
      "</td><td class=\"num\">" + m.sessions + "</td><td class=\"num\">" + m.sessionSeconds + "</td><td class=\"num\">" +
      m.uniqueUsers + "</td><td>" + (unmet || "0") + "</td><td class=\"num\">" +
      (m.medianPricePerSecond === null ? "–" : m.medianPricePerSecond) + "</td><td class=\"num\">" +
      (m.earningsPerDayEstimate === null || m.earningsPerDayEstimate === undefined ? "–" : m.earningsPerDayEstimate) + "</td><td>" +
      m.providers.map((p) => "<span class=\"addr\" title=\"" + esc(p) + "\">" + esc(short(p)) + "</span>").join(" ") + "</td></tr>";
  }), "No sessions or requests for registered models in this window yet.", 11);
}
async function refreshReports() {
  const idx = await getJson("/reports");
  fill("reports", idx.reports.map((r) => "<tr><td>" + esc(dayLabel(r.day, idx.daySeconds)) + "</td><td class=\"num\">" + r.verdicts.pass +
    "</td><td class=\"num\">" + r.verdicts.watch + "</td><td class=\"num\">" + r.verdicts.fail + "</td><td class=\"num\">" + (r.verdicts.unjudged ?? 0) +
    "</td><td><a href=\"/reports/" + r.day + "\">JSON</a></td></tr>"), "No day has closed yet (the current day is " + dayLabel(idx.currentDay, idx.daySeconds) + ").", 6);
  if (!idx.reports.length) { fill("providers", [], "Verdicts appear when the first day closes.", 4); return; }
  const doc = await getJson("/reports/latest");
  const rep = doc.report;
  $("report-day").textContent = dayLabel(rep.day, rep.daySeconds);
  fill("providers", rep.providers.map((p) => "<tr><td class=\"addr\">" + esc(p.provider) + "</td><td>" + esc(p.model) +
    "</td><td class=\"num\">" + p.sessions + "</td><td>" + badge(p) +
    "<ul class=\"reasons\">" + p.reasons.map((r) => "<li>" + esc(r) + "</li>").join("") + "</ul></td></tr>"),
    "No provider had sessions that day.", 4);
}
async function refresh() {
  const results = await Promise.allSettled([refreshBoard(), refreshReports()]);
  const bad = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
  $("updated").textContent = (bad.length ? "error: " + bad.join("; ") + " · " : "") + "updated " + new Date().toLocaleTimeString();
}
for (const w of ["day", "week"]) {
  $("w-" + w).addEventListener("click", () => {
    win = w;
    $("w-day").classList.toggle("on", w === "day");
    $("w-week").classList.toggle("on", w === "week");
    refresh();
  });
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view DashboardHtml() { return kHtml; }

}  // namespace lt::analytics
