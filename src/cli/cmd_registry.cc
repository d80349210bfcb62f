// lt cid, lt store add|serve|refs|gc, lt model pull|export|import: the content side of the registry
// (push, tag, ls, inspect, rm are in cmd_model.cc).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "net/http.h"
#include "registry/car.h"
#include "registry/fetcher.h"
#include "registry/gateway.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"
#include "registry/store.h"
#include "registry/unixfs.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {

void RegisterModelNames(CLI::App& app, CommandContext& ctx);  // cmd_model.cc

namespace {

using registry::Cid;

Result<std::unique_ptr<registry::Store>> OpenStore(const CommandContext& ctx) {
  return registry::Store::Open(ctx.global.Datadir() + "/store");
}

void RegisterCid(CLI::App& app, CommandContext& ctx) {
  struct Args {
    std::string path;
    size_t chunk_size = 1 << 20;
    size_t max_links = 1024;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("cid", "Print the CIDv1 of a file or directory (IPFS unixfs-v1-2025 profile)");
  cmd->add_option("PATH", args->path, "File or directory (- for standard input)")->required();
  cmd->add_option("--chunk-size", args->chunk_size, "Chunk size (testing only)")->group("");
  cmd->add_option("--max-links", args->max_links, "Links per node (testing only)")->group("");
  cmd->callback([&ctx, args] {
    RunCommand(ctx, [&]() -> Status {
      registry::ImportOptions o;
      o.chunk_size = args->chunk_size;
      o.max_links = args->max_links;
      LT_TRY(registry::ImportEntry e, args->path == "-" ? registry::ImportFd(0, nullptr, o)
                                                        : registry::ImportPath(args->path, nullptr, o));
      nlohmann::json j = {{"cid", e.cid.ToString()}, {"size", e.size}, {"dag_size", e.tsize}};
      PrintResult(ctx, j, e.cid.ToString());
      return OkStatus();
    });
  });
}

void RegisterStore(CLI::App& app, CommandContext& ctx) {
  auto* store = app.add_subcommand("store", "The local block store: add files, serve them, refs, garbage collection");
  store->require_subcommand(1);

  auto add_path = std::make_shared<std::string>();
  auto add_ref = std::make_shared<std::string>();
  auto* add = store->add_subcommand("add", "Import a file or directory into the store and pin it");
  add->add_option("PATH", *add_path, "File or directory")->required();
  add->add_option("--ref", *add_ref, "Name of the pin (default: pin/<cid>)");
  add->callback([&ctx, add_path, add_ref] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(registry::ImportEntry e, s->AddPath(*add_path));
      std::string ref = add_ref->empty() ? "pin/" + e.cid.ToString() : *add_ref;
      LT_TRY_STATUS(s->SetRef(ref, e.cid));
      PrintResult(ctx, {{"cid", e.cid.ToString()}, {"size", e.size}, {"ref", ref}}, e.cid.ToString());
      return OkStatus();
    });
  });

  struct ServeArgs {
    std::string listen = "127.0.0.1:7070", gateway, ledger, keystore, password_file;
    std::vector<std::string> routers;
    int announce_seconds = 600;
  };
  auto sa = std::make_shared<ServeArgs>();
  auto* serve = store->add_subcommand("serve", "Serve the store over the IPFS trustless-gateway subset");
  serve->add_option("--listen", sa->listen, "host:port")->capture_default_str();
  serve->add_option("--router", sa->routers, "Router to announce the held roots to, periodically (repeatable)");
  serve->add_option("--gateway", sa->gateway, "Public base URL of this gateway, as announced (default: http://<listen>)");
  serve->add_option("--ledger", sa->ledger, "Ledger URL (its EIP-712 domain signs the announces)");
  serve->add_option("--keystore", sa->keystore, "Key that signs the announces");
  serve->add_option("--password-file", sa->password_file, "File whose first line is the password");
  serve->add_option("--announce-seconds", sa->announce_seconds, "Re-announce interval")->capture_default_str();
  serve->callback([&ctx, sa] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(auto hp, net::ParseHostPort(sa->listen));
      std::optional<crypto::PrivateKey> key;
      wire::Domain domain;
      if (!sa->routers.empty()) {
        if (sa->keystore.empty() || sa->ledger.empty()) return InvalidArgument("--router needs --keystore and --ledger to sign announces");
        LT_TRY(SecretBytes pw, ReadPassword(sa->password_file, "Password for " + sa->keystore + ": ", false));
        LT_TRY(key, crypto::LoadKeystoreFile(sa->keystore, pw.span()));
        auto l = ledger::RemoteLedger::Connect(sa->ledger);
        if (!l.ok()) return l.error().Wrap("ledger " + sa->ledger + " unreachable");
        domain = wire::Domain(U256((*l)->domain().chain_id), (*l)->domain().verifying_contract);
      }
      // IPFS clients open many parallel keep-alive connections (Helia: one per block in flight,
      // 65 for a 64 MiB file), and net's thread-per-connection server makes the one past its
      // threads wait for an idle keep-alive to expire (5 s): Helia read 16 MB/s with 64 threads,
      // 156 MB/s with 256. An event-driven server needs no such number.
      net::HttpServerOptions so;
      so.threads = 256;
      net::HttpServer server(so);
      registry::MountGateway(server, *s);
      LT_TRY(int port, server.Listen(hp.first, hp.second));
      LT_INFO("gateway listening on http://" << hp.first << ":" << port);
      std::cout << "listening on http://" << hp.first << ":" << port << std::endl;
      std::mutex mu;
      std::condition_variable cv;
      bool stop = false;
      std::thread announcer;
      if (key) {
        std::string url = sa->gateway.empty() ? "http://" + hp.first + ":" + std::to_string(port) : sa->gateway;
        announcer = std::thread([&, url] {
          std::unique_lock<std::mutex> lock(mu);
          while (!stop) {
            lock.unlock();
            auto roots = registry::HeldRoots(*s);
            if (roots.ok()) {
              auto out = registry::AnnounceHeld(sa->routers, *key, domain, url, *roots);
              for (const auto& f : out.failed) LT_WARN("announce to " << f);
            }
            lock.lock();
            cv.wait_for(lock, std::chrono::seconds(std::max(5, sa->announce_seconds)), [&] { return stop; });
          }
        });
      }
      static net::HttpServer* g_server = nullptr;
      g_server = &server;
      std::signal(SIGTERM, [](int) {
        if (g_server) g_server->Stop();
      });
      std::signal(SIGINT, [](int) {
        if (g_server) g_server->Stop();
      });
      server.Run();
      g_server = nullptr;
      {
        std::lock_guard<std::mutex> l(mu);
        stop = true;
      }
      cv.notify_all();
      if (announcer.joinable()) announcer.join();
      return OkStatus();
    });
  });

  auto* refs = store->add_subcommand("refs", "List the pins and tags that keep content in the store");
  refs->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(auto list, s->ListRefs());
      nlohmann::json j = nlohmann::json::array();
      std::string human;
      for (const auto& r : list) {
        j.push_back({{"name", r.name}, {"cid", r.cid.ToString()}, {"updated", r.updated}});
        human += r.name + "\t" + r.cid.ToString() + "\n";
      }
      if (!human.empty()) human.pop_back();
      PrintResult(ctx, j, human);
      return OkStatus();
    });
  });

  auto unpin = std::make_shared<std::string>();
  auto* rm = store->add_subcommand("unpin", "Remove a pin or tag (content goes at the next gc)");
  rm->add_option("REF", *unpin, "Name of the ref")->required();
  rm->callback([&ctx, unpin] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY_STATUS(s->RemoveRef(*unpin));
      PrintResult(ctx, {{"removed", *unpin}}, "removed " + *unpin);
      return OkStatus();
    });
  });

  auto* gc = store->add_subcommand("gc", "Delete files and blocks that no pin or tag references");
  gc->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(registry::GcStats st, s->Gc());
      PrintResult(ctx, {{"files_removed", st.files_removed}, {"blocks_removed", st.blocks_removed}, {"bytes_freed", st.bytes_freed}},
                  "removed " + std::to_string(st.files_removed) + " files, " + std::to_string(st.blocks_removed) +
                      " blocks, " + std::to_string(st.bytes_freed) + " bytes");
      return OkStatus();
    });
  });
}

// Progress: a redrawn bar on a terminal, a plain line every few seconds otherwise.
std::function<void(const registry::FetchProgress&)> ProgressPrinter() {
  bool tty = ::isatty(2) != 0;
  auto start = std::chrono::steady_clock::now();
  auto last_line = std::make_shared<std::chrono::steady_clock::time_point>(start - std::chrono::seconds(10));
  return [tty, start, last_line](const registry::FetchProgress& p) {
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - start).count();
    double mib = p.bytes_done / 1048576.0, total = p.bytes_total / 1048576.0;
    double rate = secs > 0 ? p.bytes_done / 1e6 / secs : 0;
    int pct = p.bytes_total ? static_cast<int>(100.0 * p.bytes_done / p.bytes_total) : 0;
    char line[256];
    if (tty) {
      std::string bar(30, ' ');
      for (int i = 0; i < 30 * pct / 100; ++i) bar[i] = '#';
      std::snprintf(line, sizeof line, "\r[%s] %3d%% %.1f/%.1f MiB %.1f MB/s peers %d banned %d%s", bar.c_str(), pct, mib,
                    total, rate, p.peers_usable, p.peers_banned, p.done ? "\n" : "");
      std::fputs(line, stderr);
    } else if (p.done || now - *last_line >= std::chrono::seconds(2)) {
      *last_line = now;
      std::snprintf(line, sizeof line, "pull: %d%% %.1f/%.1f MiB %.1f MB/s blocks %llu fetched %llu local, peers %d banned %d\n",
                    pct, mib, total, rate, static_cast<unsigned long long>(p.blocks_fetched),
                    static_cast<unsigned long long>(p.blocks_local), p.peers_usable, p.peers_banned);
      std::fputs(line, stderr);
    }
  };
}

// NAME[:TAG]: the ledger gives the manifest; the manifest block, then its root, come from holders.
Status PullByName(CommandContext& ctx, const std::string& ref_text, const std::string& ledger_url,
                  const std::vector<std::string>& routers, const std::vector<std::string>& peers,
                  const std::vector<std::string>& delegated, int workers, bool quiet) {
  auto ref = registry::ParseModelRef(ref_text);
  if (!ref.ok()) return ref.error().Wrap("'" + ref_text + "'");
  if (ledger_url.empty()) return InvalidArgument("resolving '" + ref_text + "' needs --ledger URL (or pull NAME@CID / --cid)");
  if (peers.empty() && routers.empty() && delegated.empty()) {
    return InvalidArgument("give --router URL (or --routing URL, or --peer URL) to find holders");
  }
  auto l = ledger::RemoteLedger::Connect(ledger_url);
  if (!l.ok()) return l.error().Wrap("ledger " + ledger_url + " unreachable");
  LT_TRY(registry::Resolved res, registry::ResolveTag(**l, ref->name, ref->tag));
  LT_TRY(auto s, OpenStore(ctx));
  registry::RouterHolders holders(routers, peers, delegated);
  registry::FetchOptions o;
  o.workers_per_peer = workers;
  if (!quiet && !ctx.global.json) o.on_progress = ProgressPrinter();
  auto t0 = std::chrono::steady_clock::now();
  LT_TRY(registry::LocalModel m, registry::EnsureModel(*s, holders, res.manifest, res.name + ":" + res.tag, res.name, o));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json files = nlohmann::json::array();
  std::string human = "pulled " + res.name + ":" + res.tag + " manifest " + res.manifest.ToString() + " root " +
                      m.manifest.root.ToString() + " (" + std::to_string(m.fetched.blocks_fetched) + " blocks fetched)";
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name}, {"path", f.path}, {"size", f.size}});
    human += "\n  " + (f.name.empty() ? std::string("(file)") : f.name) + " " + f.path;
  }
  for (const auto& b : m.banned) human += "\nbanned " + b;
  PrintResult(ctx,
              {{"name", res.name}, {"tag", res.tag}, {"manifest", res.manifest.ToString()},
               {"bytes32", HexEncode0x(registry::ManifestDigest(res.manifest))}, {"root", m.manifest.root.ToString()},
               {"files", files}, {"bytes", m.fetched.bytes_done}, {"blocks_fetched", m.fetched.blocks_fetched},
               {"banned", m.banned}, {"seconds", secs}},
              human);
  return OkStatus();
}

void RegisterModel(CLI::App& app, CommandContext& ctx) {
  CLI::App* model = ModelGroup(app);

  struct PullArgs {
    std::string ref, cid, ledger;
    std::vector<std::string> peers, routers, delegated;
    int workers = 4;
    bool quiet = false;
  };
  auto pa = std::make_shared<PullArgs>();
  auto* pull = model->add_subcommand("pull", "Fetch a model (NAME[:TAG] via the ledger, NAME@CID, or --cid) from holders, verifying every block");
  pull->add_option("REF", pa->ref, "NAME[:TAG], NAME@CID or a CID");
  pull->add_option("--cid", pa->cid, "Root CID to fetch");
  pull->add_option("--ledger", pa->ledger, "Ledger URL, to resolve NAME[:TAG]");
  pull->add_option("--router", pa->routers, "Router URL asked for holders (GET /holders/<cid>; repeatable)");
  pull->add_option("--routing", pa->delegated,
                   "IPFS Delegated Routing V1 endpoint asked for gateway providers (a router's URL, or any; repeatable)");
  pull->add_option("--peer", pa->peers,
                   "Base URL of a trustless gateway: a Lake Travis peer, kubo's, any (repeatable)");
  pull->add_option("--workers-per-peer", pa->workers, "Parallel requests per peer")->capture_default_str();
  pull->add_flag("--quiet", pa->quiet, "No progress output");
  pull->callback([&ctx, pa] {
    RunCommand(ctx, [&]() -> Status {
      std::string ref_name;
      Cid root;
      if (!pa->cid.empty()) {
        LT_TRY(root, Cid::Parse(pa->cid));
        ref_name = pa->ref.empty() ? "pin/" + pa->cid : pa->ref;
      } else if (pa->ref.find('@') != std::string::npos) {
        LT_TRY(registry::ModelRef r, registry::ParseModelRef(pa->ref));
        root = *r.cid;
        ref_name = r.ToString();
      } else if (!pa->ref.empty() && pa->ref.find('/') == std::string::npos && Cid::Parse(pa->ref).ok()) {
        root = *Cid::Parse(pa->ref);  // a bare CID, any version or multibase
        ref_name = "pin/" + pa->ref;
      } else if (!pa->ref.empty()) {
        return PullByName(ctx, pa->ref, pa->ledger, pa->routers, pa->peers, pa->delegated, pa->workers, pa->quiet);
      } else {
        return InvalidArgument("give NAME@CID, a CID, or --cid");
      }
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY_STATUS(s->SetRef(ref_name, root));  // keeps a partial pull from gc, for resume
      if (pa->peers.empty() && pa->routers.empty() && pa->delegated.empty()) {
        return InvalidArgument("give --peer URL, --router URL or --routing URL to find holders");
      }
      registry::RouterHolders peers(pa->routers, pa->peers, pa->delegated);
      registry::FetchOptions o;
      o.workers_per_peer = pa->workers;
      if (!pa->quiet && !ctx.global.json) o.on_progress = ProgressPrinter();
      registry::Fetcher fetcher(*s, peers, o);
      auto t0 = std::chrono::steady_clock::now();
      LT_TRY(registry::FetchResult r, fetcher.Pull(root));
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::json j = {{"cid", root.ToString()},
                          {"ref", ref_name},
                          {"bytes", r.progress.bytes_done},
                          {"blocks_fetched", r.progress.blocks_fetched},
                          {"blocks_local", r.progress.blocks_local},
                          {"banned", r.banned},
                          {"seconds", secs}};
      std::string human = "pulled " + root.ToString() + " (" + std::to_string(r.progress.bytes_done) + " bytes, " +
                          std::to_string(r.progress.blocks_fetched) + " blocks fetched)";
      for (const auto& b : r.banned) human += "\nbanned " + b;
      PrintResult(ctx, j, human);
      return OkStatus();
    });
  });

  auto ex_cid = std::make_shared<std::string>();
  auto ex_car = std::make_shared<std::string>();
  auto* exp = model->add_subcommand("export", "Write the DAG under ROOT_CID from the store as a CAR v1 file");
  exp->add_option("ROOT_CID", *ex_cid, "Root CID")->required();
  exp->add_option("--car", *ex_car, "Output CAR file")->required();
  exp->callback([&ctx, ex_cid, ex_car] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(Cid root, Cid::Parse(*ex_cid));
      LT_TRY(auto s, OpenStore(ctx));
      std::string tmp = *ex_car + ".tmp";
      FILE* f = std::fopen(tmp.c_str(), "wb");
      if (!f) return ErrnoError(tmp, errno);
      uint64_t bytes = 0;
      Status st = registry::WriteCar(*s, root, [&](ByteSpan b) -> Status {
        if (std::fwrite(b.data(), 1, b.size(), f) != b.size()) return ErrnoError(tmp, errno);
        bytes += b.size();
        return OkStatus();
      });
      if (std::fflush(f) != 0 && st.ok()) st = ErrnoError(tmp, errno);
      if (st.ok() && ::fsync(fileno(f)) != 0) st = ErrnoError(tmp, errno);
      std::fclose(f);
      if (st.ok() && std::rename(tmp.c_str(), ex_car->c_str()) != 0) st = ErrnoError(*ex_car, errno);
      if (!st.ok()) {
        std::remove(tmp.c_str());
        return st;
      }
      PrintResult(ctx, {{"cid", root.ToString()}, {"car", *ex_car}, {"bytes", bytes}}, "wrote " + *ex_car);
      return OkStatus();
    });
  });

  auto im_car = std::make_shared<std::string>();
  auto* imp = model->add_subcommand("import", "Import a CAR v1 file into the store (every block verified) and pin its roots");
  imp->add_option("--car", *im_car, "Input CAR file")->required();
  imp->callback([&ctx, im_car] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(std::vector<Cid> roots, registry::ImportCar(*s, *im_car));
      nlohmann::json j = nlohmann::json::array();
      std::string human;
      for (const Cid& c : roots) {
        LT_TRY_STATUS(s->SetRef("pin/" + c.ToString(), c));
        j.push_back(c.ToString());
        human += (human.empty() ? "" : "\n") + c.ToString();
      }
      PrintResult(ctx, {{"roots", j}}, human);
      return OkStatus();
    });
  });
}

}  // namespace

void RegisterRegistryCommands(CLI::App& app, CommandContext& ctx) {
  RegisterCid(app, ctx);
  RegisterStore(app, ctx);
  RegisterModel(app, ctx);
  RegisterModelNames(app, ctx);
}

}  // namespace lt::cli
