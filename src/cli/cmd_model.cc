// lt model push|tag|ls|inspect|rm: publishing models under ledger names (doc/registry.md).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>

#include "cli/chain_ledger.h"
#include "cli/client_agents.h"
#include "cli/commands.h"
#include "cli/push_check.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "registry/dag.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"
#include "registry/store.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {

namespace {

using json = nlohmann::json;
using registry::Cid;

struct LedgerArgs {
  std::string ledger, chain, keystore, password_file;
  std::vector<std::string> routers, peers;
};

void AddLedgerFlags(CLI::App* cmd, LedgerArgs& a, bool key) {
  cmd->add_option("--ledger", a.ledger, "Ledger URL (http://host:port)");
  cmd->add_option("--chain", a.chain, "Deployment file or devnet.json: the Compute Contract on that chain instead of "
                                      "--ledger (the keystore's key pays the gas)");
  if (key) {
    cmd->add_option("--keystore", a.keystore, "V3 keystore of the name's owner")->required();
    cmd->add_option("--password-file", a.password_file, "File whose first line is the password");
  }
}

Result<crypto::PrivateKey> LoadKey(const LedgerArgs& a) {
  LT_TRY(SecretBytes pw, ReadPassword(a.password_file, "Password for " + a.keystore + ": ", false));
  return crypto::LoadKeystoreFile(a.keystore, pw.span());
}

Result<std::unique_ptr<ledger::Ledger>> Connect(const LedgerArgs& a,
                                                std::optional<crypto::PrivateKey> relayer = std::nullopt) {
  if (a.ledger.empty() && a.chain.empty()) {
    return InvalidArgument("--ledger URL or --chain FILE is required to resolve or publish names");
  }
  auto r = OpenLedger(a.ledger, a.chain, std::move(relayer));
  if (!r.ok()) return r.error().Wrap("unreachable");
  return r;
}

Result<std::unique_ptr<registry::Store>> OpenStore(const CommandContext& ctx, const std::string& dir) {
  return registry::Store::Open(dir.empty() ? ctx.global.Datadir() + "/store" : dir);
}

// The ledger's model, or nullopt when the name is not registered.
Result<std::optional<ledger::ModelInfo>> LedgerModel(ledger::Ledger& l, const std::string& name) {
  auto m = l.GetModel(name);
  if (m.ok()) return std::optional<ledger::ModelInfo>(std::move(*m));
  if (m.error().code == ErrorCode::kNotFound) return std::optional<ledger::ModelInfo>();
  return m.error().Wrap("ledger");
}

Status CheckOwner(const std::optional<ledger::ModelInfo>& model, const std::string& name, const crypto::Address& me) {
  if (!model || model->owner == me) return OkStatus();
  return MakeError(ErrorCode::kPermissionDenied, "model '" + name + "' is owned by " + model->owner.ToChecksumHex() +
                                                     ", not by " + me.ToChecksumHex() + " (the keystore's address)");
}

Status Submit(ledger::Ledger& l, ledger::Tx tx, const crypto::PrivateKey& key, const std::string& what) {
  auto r = ledger::SignAndSubmit(l, std::move(tx), key);
  if (!r.ok()) return r.error().Wrap("ledger refused " + what);
  return OkStatus();
}

// One path: itself. Several: a directory of their base names (symlinks, followed on import).
Result<registry::ImportEntry> ImportFiles(registry::Store& s, const std::vector<std::string>& files) {
  if (files.size() == 1) return s.AddPath(files[0]);
  std::string dir = s.dir() + "/tmp/push-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!std::filesystem::create_directories(dir, ec)) return IoError("create " + dir + ": " + ec.message());
  std::set<std::string> names;
  Status st = OkStatus();
  for (const auto& f : files) {
    std::string base = std::filesystem::path(f).filename().string();
    if (!names.insert(base).second) {
      st = InvalidArgument("two files are named '" + base + "'; a model directory needs distinct names");
      break;
    }
    std::filesystem::create_symlink(std::filesystem::absolute(f), dir + "/" + base, ec);
    if (ec) {
      st = IoError("link " + f + ": " + ec.message());
      break;
    }
  }
  Result<registry::ImportEntry> e = st.ok() ? s.AddPath(dir) : Result<registry::ImportEntry>(st.error());
  std::filesystem::remove_all(dir, ec);
  return e;
}

// The `lt store serve` line that serves this store and announces it to the routers.
template <typename Args>
std::string StoreServeCommand(const CommandContext& ctx, const Args& a, const std::vector<std::string>& routers) {
  std::string datadir = ctx.global.Datadir();
  if (!a.store.empty()) {
    std::filesystem::path sp = std::filesystem::absolute(a.store);
    datadir = sp.filename() == "store" ? sp.parent_path().string() : "<a datadir whose store is " + a.store + ">";
  }
  std::string cmd = "lt --datadir " + datadir + " store serve --listen 0.0.0.0:8090 --gateway http://HOST:8090";
  if (routers.empty()) cmd += " --router ROUTER_URL";
  for (const auto& r : routers) cmd += " --router " + r;
  cmd += " --ledger " + a.l.ledger + " --keystore " + a.l.keystore;
  if (!a.l.password_file.empty()) cmd += " --password-file " + a.l.password_file;
  return cmd;
}

void RegisterPush(CLI::App* model, CommandContext& ctx) {
  struct Args {
    std::string ref, tokenizer, kind = "model", format, architecture, license, gateway, store,
                                accelerator = "none";
    std::vector<std::string> files;
    uint32_t fee_bps = 0;
    uint64_t ram_bytes = 0;
    LedgerArgs l;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = model->add_subcommand(
      "push",
      "Publish files as NAME:TAG: store them, write the manifest, set the tag on the ledger, announce");
  cmd->add_option("NAME_TAG", a->ref, "namespace/name[:tag] (tag defaults to latest)")->required();
  cmd->add_option("FILES", a->files, "Model file(s) or one directory")->required();
  cmd->add_option("--format", a->format, "gguf | llama2c | openai-remote | ...")->required();
  cmd->add_option("--tokenizer", a->tokenizer, "Tokenizer file to publish with the model");
  cmd->add_option("--kind", a->kind, "model | agent")->capture_default_str();
  cmd->add_option("--architecture", a->architecture, "e.g. llama");
  cmd->add_option("--builder-fee-bps", a->fee_bps,
                  "Builder fee in basis points (0..10000; the ledger caps it)");
  cmd->add_option("--license", a->license, "SPDX id or text");
  cmd->add_option("--ram-bytes", a->ram_bytes, "RAM needed (default: the files' size)");
  cmd->add_option("--accelerator", a->accelerator, "none | cpu | cuda | metal | vulkan | rocm")
      ->capture_default_str();
  cmd->add_option("--store", a->store, "Store directory (default: <datadir>/store)");
  cmd->add_option("--router", a->l.routers, "Router URL to announce to (repeatable)");
  cmd->add_option("--gateway", a->gateway,
                  "Base URL where `lt store serve` serves this store, announced to --router (without it push "
                  "prints the store serve command that announces it)");
  AddLedgerFlags(cmd, a->l, true);
  cmd->callback([&ctx, a] {
    RunCommand(ctx, [&]() -> Status {
      if (a->ref.find('@') != std::string::npos)
        return InvalidArgument("push takes NAME[:TAG], not NAME@CID");
      auto ref = registry::ParseModelRef(a->ref);
      if (!ref.ok()) return ref.error().Wrap("'" + a->ref + "'");
      std::vector<std::string> files = a->files;
      if (!a->tokenizer.empty()) files.push_back(a->tokenizer);
      uint64_t total = 0;
      for (const auto& f : files) {
        struct stat st {};
        if (::stat(f.c_str(), &st) != 0) return NotFound("file " + f + " does not exist");
        if (S_ISDIR(st.st_mode) && files.size() > 1)
          return InvalidArgument(f + " is a directory; give one directory or files");
        total += static_cast<uint64_t>(st.st_size);
      }
      if (a->fee_bps > 10000) return InvalidArgument("--builder-fee-bps must be 0..10000");
      if (!a->gateway.empty() && a->gateway.rfind("http://", 0) != 0)
        return InvalidArgument("--gateway must be an http:// URL");
      if (!a->gateway.empty() && a->l.routers.empty())
        return InvalidArgument("--gateway is announced to routers: give --router URL too");
      // The files are what --format says (push_check.h) before anything is stored or signed.
      LT_TRY(FormatFacts facts, CheckModelFormat(a->format, a->files, a->tokenizer, a->architecture));
      LT_TRY(json agent_object, AgentObjectForPush(a->kind, a->format, a->files, ref->name));
      LT_TRY(auto key, LoadKey(a->l));
      crypto::Address me = key.GetAddress();
      LT_TRY(auto l, Connect(a->l, key));
      LT_TRY(auto row, LedgerModel(*l, ref->name));
      LT_TRY_STATUS(CheckOwner(row, ref->name, me));

      LT_TRY(auto s, OpenStore(ctx, a->store));
      LT_TRY(registry::ImportEntry e, ImportFiles(*s, files));
      registry::Manifest m;
      m.name = ref->name;
      m.tag = ref->tag;
      m.kind = a->kind;
      m.format = a->format;
      m.architecture = facts.architecture;
      m.root = e.cid;
      m.requirements.ram_bytes = a->ram_bytes ? a->ram_bytes : total;
      m.requirements.accelerator = a->accelerator;
      m.builder = me.ToChecksumHex();
      m.builder_fee_bps = a->fee_bps;
      m.license = a->license;
      m.agent = agent_object;
      LT_TRY_STATUS(m.Validate());
      std::string bytes = m.Encode();
      Cid mcid = m.BlockCid();
      LT_TRY_STATUS(s->PutInline(mcid, AsBytes(bytes)));
      LT_TRY_STATUS(s->SetRef(ref->name + ":" + ref->tag, mcid));
      std::string digest = HexEncode0x(registry::ManifestDigest(mcid));

      bool registered = false, tagged = false;
      if (!row || row->kind != a->kind || row->builder_fee_bps != a->fee_bps) {
        ledger::Tx tx;
        tx.type = ledger::TxType::kRegisterModel;
        tx.name = ref->name;
        tx.kind = a->kind;
        tx.builder_fee_bps = a->fee_bps;
        LT_TRY_STATUS(Submit(*l, tx, key, "register_model " + ref->name));
        registered = true;
      }
      if (!row || row->Tag(ref->tag) != registry::ManifestDigest(mcid)) {
        ledger::Tx tx;
        tx.type = ledger::TxType::kSetTag;
        tx.name = ref->name;
        tx.tag = ref->tag;
        tx.manifest = registry::ManifestDigest(mcid);
        LT_TRY_STATUS(Submit(*l, tx, key, "set_tag " + ref->name + ":" + ref->tag));
        tagged = true;
      }
      json announced = json::array(), failed = json::array();
      if (!a->l.routers.empty() && !a->gateway.empty()) {
        LT_TRY(std::vector<Cid> roots, registry::HeldRoots(*s));
        wire::Domain d(U256(l->domain().chain_id), l->domain().verifying_contract);
        auto out = registry::AnnounceHeld(a->l.routers, key, d, a->gateway, roots);
        for (const auto& u : out.ok) announced.push_back(u);
        for (const auto& f : out.failed) failed.push_back(f);
        if (out.ok.empty()) {
          return MakeError(ErrorCode::kUnavailable,
                           "the tag is set on the ledger, but no router took the announce: " + failed.dump() +
                               " (run push again to retry)");
        }
      }
      // Without a gateway nobody can pull the files yet: say exactly what serves and announces them.
      std::string next;
      if (a->gateway.empty()) next = StoreServeCommand(ctx, *a, a->l.routers);
      json j = {{"name", ref->name},        {"tag", ref->tag},          {"manifest", mcid.ToString()},
                {"bytes32", digest},        {"root", e.cid.ToString()}, {"size", e.size},
                {"registered", registered}, {"tagged", tagged},         {"announced", announced},
                {"announce_failed", failed}, {"format", a->format},     {"architecture", m.architecture},
                {"format_checked", facts.checked}};
      if (!next.empty()) j["next"] = next;
      std::string human =
          (registered ? "registered " + ref->name + " on the ledger (kind " + a->kind + ", builder fee " +
                            std::to_string(a->fee_bps) + " bps)\n"
                      : "") +
          (tagged ? "tagged " : "already tagged (no transaction) ") + ref->name + ":" + ref->tag + " -> manifest " +
          mcid.ToString() + "\nbytes32 " + digest + "\nroot " + e.cid.ToString() + " (" + std::to_string(e.size) +
          " bytes, " + a->format + (m.architecture.empty() ? "" : ", " + m.architecture) +
          (facts.checked ? ", checked" : "") + ")";
      for (const auto& u : announced) human += "\nannounced to " + u.get<std::string>();
      for (const auto& f : failed) human += "\nannounce failed: " + f.get<std::string>();
      if (!next.empty()) human += "\nnobody can pull it until a gateway announces it; run:\n  " + next;
      PrintResult(ctx, j, human);
      return OkStatus();
    });
  });
}

// REF -> manifest CID: a raw CID, NAME@CID, or NAME[:TAG] resolved on the ledger.
Result<Cid> ManifestOf(ledger::Ledger& l, const std::string& ref_text) {
  if (ref_text.find('/') == std::string::npos && Cid::Parse(ref_text).ok()) return Cid::Parse(ref_text);
  LT_TRY(registry::ModelRef r, registry::ParseModelRef(ref_text));
  if (r.cid) return *r.cid;
  LT_TRY(registry::Resolved res, registry::ResolveTag(l, r.name, r.tag));
  return res.manifest;
}

void RegisterTag(CLI::App* model, CommandContext& ctx) {
  struct Args {
    std::string target, source, store;
    LedgerArgs l;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = model->add_subcommand("tag", "Point NAME:TAG at the manifest of REF (owner only)");
  cmd->add_option("NAME_TAG", a->target, "namespace/name:tag to set")->required();
  cmd->add_option("REF", a->source, "NAME[:TAG], NAME@MANIFEST_CID or a manifest CID")->required();
  cmd->add_option("--store", a->store, "Store directory (default: <datadir>/store)");
  AddLedgerFlags(cmd, a->l, true);
  cmd->callback([&ctx, a] {
    RunCommand(ctx, [&]() -> Status {
      if (a->target.find('@') != std::string::npos)
        return InvalidArgument("the tag to set is NAME:TAG, not NAME@CID");
      auto t = registry::ParseModelRef(a->target);
      if (!t.ok()) return t.error().Wrap("'" + a->target + "'");
      LT_TRY(auto key, LoadKey(a->l));
      LT_TRY(auto l, Connect(a->l, key));
      LT_TRY(auto row, LedgerModel(*l, t->name));
      if (!row)
        return NotFound("model '" + t->name + "' is not registered on the ledger; push it first");
      LT_TRY_STATUS(CheckOwner(row, t->name, key.GetAddress()));
      LT_TRY(Cid mcid, ManifestOf(*l, a->source));
      if (!mcid.IsRaw()) return InvalidArgument(mcid.ToString() + " is not a manifest CID (raw codec)");
      ledger::Tx tx;
      tx.type = ledger::TxType::kSetTag;
      tx.name = t->name;
      tx.tag = t->tag;
      tx.manifest = registry::ManifestDigest(mcid);
      LT_TRY_STATUS(Submit(*l, tx, key, "set_tag " + t->name + ":" + t->tag));
      auto s = OpenStore(ctx, a->store);
      if (s.ok() && (*s)->Has(mcid)) (void)(*s)->SetRef(t->name + ":" + t->tag, mcid);
      std::string digest = HexEncode0x(tx.manifest);
      PrintResult(ctx,
                  {{"name", t->name}, {"tag", t->tag}, {"manifest", mcid.ToString()}, {"bytes32", digest}},
                  t->name + ":" + t->tag + " -> " + mcid.ToString());
      return OkStatus();
    });
  });
}

void RegisterLs(CLI::App* model, CommandContext& ctx) {
  auto store = std::make_shared<std::string>();
  auto* cmd = model->add_subcommand("ls", "List the models in the local store (tags, CIDs, sizes)");
  cmd->add_option("--store", *store, "Store directory (default: <datadir>/store)");
  cmd->callback([&ctx, store] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx, *store));
      LT_TRY(auto refs, s->ListRefs());
      json arr = json::array();
      std::string human = "REF\tMANIFEST\tROOT\tSIZE\tCOMPLETE";
      for (const auto& r : refs) {
        json j = {{"ref", r.name}};
        Cid root = r.cid;
        std::string mtext = "-";
        if (auto m = registry::LoadManifest(*s, r.cid); m.ok()) {
          j["manifest"] = r.cid.ToString();
          j["bytes32"] = HexEncode0x(registry::ManifestDigest(r.cid));
          j["name"] = m->name;
          j["format"] = m->format;
          j["kind"] = m->kind;
          root = m->root;
          mtext = r.cid.ToString();
        }
        j["root"] = root.ToString();
        auto st = registry::LocalDagStats(*s, root);
        j["size"] = st.ok() ? st->size : 0;
        j["complete"] = st.ok() && st->complete;
        human += "\n" + r.name + "\t" + mtext + "\t" + root.ToString() + "\t" +
                 std::to_string(j["size"].get<uint64_t>()) + "\t" +
                 (j["complete"].get<bool>() ? "yes" : "no");
        arr.push_back(j);
      }
      PrintResult(ctx, arr, human);
      return OkStatus();
    });
  });
}

void RegisterInspect(CLI::App* model, CommandContext& ctx) {
  struct Args {
    std::string ref, store;
    LedgerArgs l;
  };
  auto a = std::make_shared<Args>();
  auto* cmd =
      model->add_subcommand("inspect", "Show a model's manifest and DAG (local store, else the network)");
  cmd->add_option("REF", a->ref, "NAME[:TAG], NAME@CID or a CID")->required();
  cmd->add_option("--store", a->store, "Store directory (default: <datadir>/store)");
  cmd->add_option("--router", a->l.routers, "Router URL to find holders (repeatable)");
  cmd->add_option("--peer", a->l.peers, "Gateway base URL of a holder (repeatable)");
  AddLedgerFlags(cmd, a->l, false);
  cmd->callback([&ctx, a] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx, a->store));
      // Local first: a ref with this name, or the CID itself.
      std::optional<Cid> cid;
      std::string ref_text = a->ref;
      if (ref_text.find('/') == std::string::npos && Cid::Parse(ref_text).ok()) {  // any CID form
        LT_TRY(cid, Cid::Parse(ref_text));
      } else {
        LT_TRY(registry::ModelRef r, registry::ParseModelRef(ref_text));
        if (r.cid) {
          cid = *r.cid;
        } else {
          LT_TRY(auto refs, s->ListRefs());
          for (const auto& x : refs) {
            if (x.name == r.name + ":" + r.tag) cid = x.cid;
          }
          if (!cid) {
            if (a->l.ledger.empty() && a->l.chain.empty())
              return NotFound("'" + r.ToString() +
                              "' is not in the local store; give --ledger to look it up");
            LT_TRY(auto l, Connect(a->l));
            LT_TRY(registry::Resolved res, registry::ResolveTag(*l, r.name, r.tag));
            cid = res.manifest;
          }
        }
      }
      registry::RouterHolders holders(a->l.routers, a->l.peers);
      json j;
      Cid root = *cid;
      if (cid->IsRaw()) {
        Result<Bytes> block = s->Get(*cid);
        bool local = block.ok();
        if (!local) block = registry::FetchBlock(holders, *cid);
        if (block.ok() && block->size() <= 65536) {
          auto m = registry::Manifest::Decode(
              std::string_view(reinterpret_cast<const char*>(block->data()), block->size()));
          if (m.ok()) {
            j["manifest_cid"] = cid->ToString();
            j["bytes32"] = HexEncode0x(registry::ManifestDigest(*cid));
            j["manifest"] = m->ToJson();
            j["manifest_local"] = local;
            root = m->root;
          }
        } else if (!block.ok()) {
          return block.error();
        }
      }
      j["root"] = root.ToString();
      auto st = registry::LocalDagStats(*s, root);
      if (st.ok()) {
        j["dag"] = {{"type", st->type},
                    {"size", st->size},
                    {"blocks", st->blocks},
                    {"complete", st->complete},
                    {"local", true}};
      } else {
        LT_TRY(Bytes b, registry::FetchBlock(holders, root));
        json d = {{"local", false}, {"type", "file"}, {"size", b.size()}};
        if (root.IsDagPb()) {
          LT_TRY(registry::UnixFSNode n, registry::DecodeUnixFSNode(b));
          if (n.fs.type == registry::UnixFSType::kDirectory) {
            uint64_t sum = 0;
            json entries = json::array();
            for (const auto& l : n.pb.links) {
              sum += l.tsize.value_or(0);
              entries.push_back({{"name", l.name.value_or("")},
                                 {"cid", l.hash.ToString()},
                                 {"tsize", l.tsize.value_or(0)}});
            }
            d = {{"local", false}, {"type", "directory"}, {"size", sum}, {"entries", entries}};
          } else if (n.fs.type == registry::UnixFSType::kHamtShard) {
            uint64_t sum = 0;
            for (const auto& l : n.pb.links) sum += l.tsize.value_or(0);
            d = {{"local", false}, {"type", "directory"}, {"sharded", true}, {"size", sum}};
          } else {
            d["size"] = n.fs.filesize.value_or(0);
            d["links"] = n.pb.links.size();
          }
        }
        j["dag"] = d;
      }
      PrintResult(ctx, j, j.dump(2));
      return OkStatus();
    });
  });
}

void RegisterRm(CLI::App* model, CommandContext& ctx) {
  struct Args {
    std::string ref, store;
    bool gc = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = model->add_subcommand(
      "rm", "Remove a model's ref from the local store (and collect garbage with --gc)");
  cmd->add_option("REF", a->ref, "NAME[:TAG], NAME@CID, a CID, or any ref name from `lt model ls`")
      ->required();
  cmd->add_option("--store", a->store, "Store directory (default: <datadir>/store)");
  cmd->add_flag("--gc", a->gc, "Delete what no ref keeps any more");
  cmd->callback([&ctx, a] {
    RunCommand(ctx, [&]() -> Status {
      LT_TRY(auto s, OpenStore(ctx, a->store));
      LT_TRY(auto refs, s->ListRefs());
      std::string name;
      std::set<std::string> candidates = {a->ref, "pin/" + a->ref};
      if (auto r = registry::ParseModelRef(a->ref); r.ok()) candidates.insert(r->ToString());
      if (auto r = registry::ParseModelRef(a->ref); r.ok() && !r->cid)
        candidates.insert(r->name + ":" + r->tag);
      for (const auto& x : refs) {
        if (candidates.count(x.name)) name = x.name;
      }
      if (name.empty()) return NotFound("no ref '" + a->ref + "' in the store (see `lt model ls`)");
      LT_TRY_STATUS(s->RemoveRef(name));
      json j = {{"removed", name}};
      std::string human = "removed " + name;
      if (a->gc) {
        LT_TRY(registry::GcStats st, s->Gc());
        j["gc"] = {{"files_removed", st.files_removed},
                   {"blocks_removed", st.blocks_removed},
                   {"bytes_freed", st.bytes_freed}};
        human += "; gc freed " + std::to_string(st.bytes_freed) + " bytes";
      }
      PrintResult(ctx, j, human);
      return OkStatus();
    });
  });
}

}  // namespace

void RegisterModelNames(CLI::App& app, CommandContext& ctx) {
  CLI::App* model = ModelGroup(app);
  RegisterPush(model, ctx);
  RegisterTag(model, ctx);
  RegisterLs(model, ctx);
  RegisterInspect(model, ctx);
  RegisterRm(model, ctx);
}

}  // namespace lt::cli
