// Shared set-up of the integration tests where roles meet a real ledger: the genesis written to
// a file, `lt ledger init`, `lt ledger serve` on a free port; and light keystores for test keys.
#ifndef LT_TESTS_INTEGRATION_LEDGER_PROCESS_H_
#define LT_TESTS_INTEGRATION_LEDGER_PROCESS_H_

#include <memory>
#include <string>

#include "crypto/keystore.h"
#include "ledger/genesis.h"
#include "support/ports.h"
#include "support/process.h"
#include "util/random.h"

namespace lt::test {

// Writes DIR/genesis.json, initialises DIR/ledger and serves it on a free port. Returns "" with
// *port and *proc set, or what failed (with the process's stderr).
inline std::string StartLedger(const std::string& dir, const ledger::Genesis& g, int* port,
                               std::unique_ptr<LtProcess>* proc) {
  WriteFile(dir + "/genesis.json", ledger::GenesisToJson(g).dump());
  auto init = RunLt({"ledger", "init", "--datadir", dir + "/ledger", "--genesis", dir + "/genesis.json"});
  if (init.exit_code != 0) return "lt ledger init failed: " + init.err;
  *port = FreePort();
  *proc = std::make_unique<LtProcess>(std::vector<std::string>{
      "ledger", "serve", "--datadir", dir + "/ledger", "--listen", "127.0.0.1:" + std::to_string(*port)});
  if (!WaitForHttp("127.0.0.1", *port, "/health")) return "lt ledger serve did not answer: " + (*proc)->Stderr();
  return "";
}

// Writes `key` as a V3 keystore (light scrypt, deterministic salt from `seed`) at `path`.
inline std::string WriteLightKeystore(const crypto::PrivateKey& key, const std::string& path,
                                      std::string_view password, uint64_t seed) {
  SecretBytes pw(AsBytes(password));
  SeededRandom rng(seed);
  auto ks = crypto::EncryptKeystore(key, pw.span(), crypto::LightKdfParams(), rng);
  if (!ks.ok()) return ks.error().message;
  WriteFile(path, *ks);
  return "";
}

}  // namespace lt::test

#endif  // LT_TESTS_INTEGRATION_LEDGER_PROCESS_H_
