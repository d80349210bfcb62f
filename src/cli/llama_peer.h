// llama.cpp as a peer of `lt bench engine`: runs tests/llama/peer.mjs (node-llama-cpp 3.21.1,
// installed by `make deps`) with a list of jobs and returns its results (see peer.mjs for the
// job kinds). The peer directory is $LT_LLAMA_DIR, else tests/llama of the source tree this
// binary was built from. Not available (kUnavailable, saying why) when node or the package is
// missing. Thread-safety: free functions; each call runs one node process.
#ifndef LT_CLI_LLAMA_PEER_H_
#define LT_CLI_LLAMA_PEER_H_

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace lt::cli {

// The peer directory, or an error saying what is missing.
Result<std::string> LlamaPeerDir();
// Runs the jobs; the "results" array, one entry per job.
Result<nlohmann::json> RunLlamaPeer(const std::string& dir, const nlohmann::json& jobs);

}  // namespace lt::cli

#endif  // LT_CLI_LLAMA_PEER_H_
