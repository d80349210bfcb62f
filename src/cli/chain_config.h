// The Compute Contract's deployment configuration from a ledger genesis (doc/ledger.md
// "Genesis"): the same file `lt ledger init` reads sets up `lt chain deploy`. chain_id and
// verifying_contract of the genesis are not used: on a chain they are the chain's id and the
// deployed contract's address. (EvmLedger will own this conversion when it lands.)
#ifndef LT_CLI_CHAIN_CONFIG_H_
#define LT_CLI_CHAIN_CONFIG_H_

#include "evm/deploy.h"
#include "ledger/genesis.h"

namespace lt::cli {

evm::DeployConfig DeployConfigFromGenesis(const ledger::Genesis& g);

}  // namespace lt::cli

#endif  // LT_CLI_CHAIN_CONFIG_H_
