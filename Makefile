# Lake Travis — the front door. `make demo` and `make test` do all set-up on a fresh Debian 12.
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 20
CMAKE_FLAGS ?=

# Every Debian 12 package the build, the tests and the demo need.
DEB_PACKAGES := build-essential cmake ninja-build pkg-config git ca-certificates \
  libsecp256k1-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev \
  libboost-dev libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev \
  clang libclang-rt-14-dev python3 ccache chromium

# ccache, when present, makes the three build trees (and CI re-runs) share compiled objects.
LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths inside the checkout count relative to it, so clones in other folders hit the same cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps npm-deps configure build test test-unit test-sanitize bench demo fuzz format tidy clean

all: build

## deps: install every missing Debian package (as root, or with sudo), then the npm test peers and
## the contracts' toolchain.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm  >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi
	@$(MAKE) --no-print-directory npm-deps

# Independent peers for interoperability tests (ethers, the IPFS UnixFS importer, the OpenAI SDK),
# installed into tests/interop/node_modules, llama.cpp into tests/llama/node_modules, IPFS peers
# (Helia over HTTP, @ipld/car) into tests/ipfs/node_modules, and the contracts' toolchain (solc-js,
# anvil; pinned in contracts/package.json) into contracts/node_modules; git ignores all four.
npm-deps: tests/interop/node_modules/.installed tests/llama/node_modules/.installed tests/ipfs/node_modules/.installed contracts/node_modules/.installed
tests/interop/node_modules/.installed: tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@
# llama.cpp as the engine's peer (node-llama-cpp with its prebuilt CPU binary for linux-x64, pinned):
# no optional GPU packages, no install scripts, so nothing is downloaded or built from source.
tests/llama/node_modules/.installed: tests/llama/package.json tests/llama/package-lock.json
	cd tests/llama && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@
tests/ipfs/node_modules/.installed: tests/ipfs/package.json tests/ipfs/package-lock.json
	cd tests/ipfs && npm ci --no-audit --no-fund --loglevel=error
	touch $@
contracts/node_modules/.installed: contracts/package.json contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Configured again once `make deps` has installed solc-js (the build compiles the contracts with it).
$(BUILD)/build.ninja: $(wildcard contracts/node_modules/.installed)
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(LAUNCHER) $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

## build: the binary at build/lt, with every test and benchmark.
build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

## test: set-up, build, every test through ctest (unit, integration with real lt processes, interop),
## then the sanitizer run of the unit tests and a short run of each fuzz target.
test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory test-sanitize
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

## test-sanitize: the unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(BUILD_SAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLT_SANITIZE=ON -DLT_BENCH=OFF $(LAUNCHER)
	cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L unit --timeout 900

## bench: every benchmark; each prints a ratio against a ceiling measured in the same run.
bench: build
	@for b in $(BUILD)/bench/lt_bench_*; do echo "== $$b"; $$b --benchmark_min_time=0.5 || exit 1; done

## fuzz: build the libFuzzer targets with clang and run each for FUZZ_SECONDS.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLT_FUZZ=ON -DLT_BENCH=OFF -DLT_TESTS=OFF $(LAUNCHER)
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	@for f in $(BUILD_FUZZ)/fuzz/fuzz_*; do \
	  name=$$(basename $$f); corpus=fuzz/corpus/$${name#fuzz_}; mkdir -p $(BUILD_FUZZ)/corpus-$$name; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  log=$(BUILD_FUZZ)/$$name.log; \
	  if ! $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(BUILD_FUZZ)/corpus-$$name $$( [ -d $$corpus ] && echo $$corpus ) > $$log 2>&1; then \
	    tail -n 40 $$log; echo "fuzz: $$name found a failure (log: $$log)"; exit 1; fi; \
	  grep -E "^Done" $$log | tail -n 1 || true; \
	done

## demo: set-up, build, then `lt devnet` (doc/devnet.md): the whole network on this machine, a
## showcase with settlement, a day closing and claims, then it stops (Ctrl-C stops it earlier).
demo: deps build
	$(BUILD)/lt devnet --datadir $(CURDIR)/$(BUILD)/devnet --exit-after 5

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: configure
	clang-tidy -p $(BUILD) $$(git ls-files 'src/*.cc')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
