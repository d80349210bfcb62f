#include <map>
#include <memory>
#include <mutex>

#include "evm/artifacts.h"

namespace lt::evm {

namespace {

Result<Artifact> Load(std::string_view name, const char* text) {
  if (text == nullptr || text[0] == '\0') {
    return NotFound("contract " + std::string(name) +
                    " was not compiled into this build (solc-js missing: run `make deps`, then rebuild)");
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("artifact of " + std::string(name) + " is not JSON");
  Artifact a;
  a.name = std::string(name);
  a.abi_json = j.value("abi", nlohmann::json::array());
  LT_TRY(a.abi, ContractAbi::Parse(a.abi_json));
  auto code = HexDecode(j.value("bytecode", std::string()));
  if (!code.ok() || code->empty()) return Corrupt("artifact of " + std::string(name) + " has no bytecode");
  a.bytecode = std::move(*code);
  a.deployed_size = j.value("deployedSize", size_t{0});
  a.compiler = j.value("compiler", std::string());
  return a;
}

}  // namespace

Result<const Artifact*> GetArtifact(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Artifact>, std::less<>> cache;
  std::lock_guard<std::mutex> l(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second.get();
  const char* text = nullptr;
  if (name == "ComputeContract") text = artifacts::kComputeContractJson;
  if (name == "ComputeExtension") text = artifacts::kComputeExtensionJson;
  if (name == "MorToken") text = artifacts::kMorTokenJson;
  if (name == "EvilToken") text = artifacts::kEvilTokenJson;
  if (text == nullptr) return NotFound("no contract named " + std::string(name));
  LT_TRY(Artifact a, Load(name, text));
  auto owned = std::make_unique<Artifact>(std::move(a));
  const Artifact* p = owned.get();
  cache.emplace(std::string(name), std::move(owned));
  return p;
}

}  // namespace lt::evm
