// lt cid, lt store add|serve|refs|gc, lt model pull|export|import: the content side of the registry.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "net/http.h"
#include "registry/car.h"
#include "registry/fetcher.h"
#include "registry/gateway.h"
#include "registry/manifest.h"
#include "registry/store.h"
#include "registry/unixfs.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {

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

  auto listen = std::make_shared<std::string>("127.0.0.1:7070");
  auto* serve = store->add_subcommand("serve", "Serve the store over the IPFS trustless-gateway subset");
  serve->add_option("--listen", *listen, "host:port")->capture_default_str();
  serve->callback([&ctx, listen] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY(auto hp, net::ParseHostPort(*listen));
      net::HttpServer server;
      registry::MountGateway(server, *s);
      LT_TRY(int port, server.Listen(hp.first, hp.second));
      LT_INFO("gateway listening on http://" << hp.first << ":" << port);
      std::cout << "listening on http://" << hp.first << ":" << port << std::endl;
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

void RegisterModel(CLI::App& app, CommandContext& ctx) {
  CLI::App* model = ModelGroup(app);

  struct PullArgs {
    std::string ref, cid;
    std::vector<std::string> peers;
    int workers = 4;
    bool quiet = false;
  };
  auto pa = std::make_shared<PullArgs>();
  auto* pull = model->add_subcommand("pull", "Fetch a model by NAME@CID (or --cid) from peers, verifying every block");
  pull->add_option("REF", pa->ref, "NAME@CID or a CID");
  pull->add_option("--cid", pa->cid, "Root CID to fetch");
  pull->add_option("--peer", pa->peers, "Base URL of a peer's gateway (repeatable)")->required();
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
      } else if (!pa->ref.empty() && pa->ref[0] == 'b') {
        LT_TRY(root, Cid::Parse(pa->ref));
        ref_name = "pin/" + pa->ref;
      } else if (!pa->ref.empty()) {
        LT_TRY_STATUS(registry::ParseModelRef(pa->ref));
        return MakeError(ErrorCode::kFailedPrecondition,
                         "resolving '" + pa->ref + "' needs the ledger; pull by NAME@CID or --cid for now");
      } else {
        return InvalidArgument("give NAME@CID, a CID, or --cid");
      }
      LT_TRY(auto s, OpenStore(ctx));
      LT_TRY_STATUS(s->SetRef(ref_name, root));  // keeps a partial pull from gc, for resume
      registry::StaticPeers peers(pa->peers);
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
}

}  // namespace lt::cli
