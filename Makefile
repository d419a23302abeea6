# Thin wrapper over meson for the two commands README.md opens with:
#   make demo   install what is missing, build, run tlsmon on the captures
#   make test   install what is missing, build, run the whole test suite
#               (plain build, then again under ASan+UBSan, ThreadSanitizer,
#               fuzzing and valgrind)
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_TSAN ?= build-tsan
BUILD_MIN  ?= build-min
MESON_ARGS ?=

# Build and test dependencies, all from Debian.
DEBS = build-essential clang meson ninja-build pkg-config python3 \
       libpcap-dev libndpi-dev libyaml-dev libssl-dev libcmocka-dev \
       tshark tcpdump openssl gnutls-bin curl iproute2 ethtool faketime valgrind \
       python3-cryptography \
       libhiredis-dev rsyslog rsyslog-gnutls redis-server stunnel4 tcpreplay \
       zlib1g-dev libbrotli-dev libzstd-dev zstd gzip chromium

.PHONY: all deps build demo test test-plain test-sanitize test-tsan test-peer test-fuzz test-valgrind test-minimal readme-fields docs-causes peer-unknown byte-identical clean

# Public captures from other projects (not shipped; CI has them beside the
# clone). Only read from there, never copied in.
PEER_CAPTURES ?= ../shared/peer-captures

all: build

deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_ARGS)

$(BUILD_SAN)/build.ninja:
	meson setup $(BUILD_SAN) -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dc_args=-fno-sanitize-recover=all $(MESON_ARGS)

$(BUILD_TSAN)/build.ninja:
	meson setup $(BUILD_TSAN) -Db_sanitize=thread $(MESON_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./$(BUILD)/tlsmon --format text --summary captures/*.pcap

test-plain: build
	meson test -C $(BUILD) --print-errorlogs

test-sanitize: deps $(BUILD_SAN)/build.ninja
	ninja -C $(BUILD_SAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C $(BUILD_SAN) --print-errorlogs --suite unit --suite e2e

# Every peer capture under ASan+UBSan: no crash, hang or sanitizer report on
# any of them (disagreements with tshark are listed, not failed on: see
# tests/e2e/PEER-DIFFERENCES.md), and every event they give checked
# against ECS's field table (any violation fails).
test-peer: test-sanitize
	@if [ -d "$(PEER_CAPTURES)" ]; then \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  python3 tests/e2e/differential.py --tlsmon $(BUILD_SAN)/tlsmon --lenient \
	    --reread-out-of-order --reread-quic-unanswered --min-outcome-agreement 99 \
	    --report $(BUILD_SAN)/peer-differences.txt $(PEER_CAPTURES) && \
	  python3 tests/e2e/ecs_check.py --tlsmon $(BUILD_SAN)/tlsmon \
	    $(PEER_CAPTURES); \
	else echo "no $(PEER_CAPTURES): peer-capture run skipped"; fi

# The tests that run threads (--workers, the syslog and Redis senders)
# under ThreadSanitizer: a data race fails the run.
test-tsan: deps $(BUILD_TSAN)/build.ninja
	ninja -C $(BUILD_TSAN)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 TLSMON_REPLAY_PPS=600 \
	  meson test -C $(BUILD_TSAN) --print-errorlogs workers siem sensor-live write_turn

# Every libFuzzer target for a short run on its committed seed corpus
# (tests/fuzz/run.sh SECONDS runs them longer).
FUZZ_SECONDS ?= 20
test-fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# The build without the optional outputs (-Dsyslog=disabled
# -Dredis=disabled): it builds, links neither libssl nor hiredis, refuses
# --syslog, and writes the same records as the full build.
test-minimal: build
	@[ -f $(BUILD_MIN)/build.ninja ] || meson setup $(BUILD_MIN) \
	  -Dsyslog=disabled -Dredis=disabled $(MESON_ARGS) >/dev/null
	ninja -C $(BUILD_MIN) tlsmon
	! ldd $(BUILD_MIN)/tlsmon | grep -E 'libssl|hiredis'
	! $(BUILD_MIN)/tlsmon --syslog udp://127.0.0.1:514 captures/fail-version.pcap
	$(BUILD)/tlsmon --format ndjson --no-summary captures/*.pcap \
	  > $(BUILD_MIN)/full.ndjson; \
	$(BUILD_MIN)/tlsmon --format ndjson --no-summary captures/*.pcap | \
	  cmp - $(BUILD_MIN)/full.ndjson

# The end-to-end tests once under valgrind: memory errors ASan cannot see
# (uninitialised reads) and definite leaks fail the run.
test-valgrind: build
	TLSMON_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite --show-leak-kinds=definite" \
	  python3 tests/e2e/run_e2e.py --tlsmon $(BUILD)/tlsmon --captures captures

test: test-plain test-sanitize test-tsan test-peer test-fuzz test-valgrind test-minimal
	@echo "all test suites passed (plain, ASan+UBSan, TSan, fuzzing, valgrind, minimal build)"

# Regenerate README.md's field reference from the registry.
readme-fields: build
	python3 tests/e2e/readme_fields.py --tlsmon $(BUILD)/tlsmon --readme README.md --write

# docs/causes.md: the cause catalogue, generated from the rules.
docs-causes: build
	python3 tests/e2e/causes_doc.py --tlsmon $(BUILD)/tlsmon --doc docs/causes.md --write

# Failed handshakes of the peer captures that no rule explains (cause
# unknown), each listed with its stage and who ended it.
peer-unknown: build
	python3 tests/e2e/unknown_causes.py --tlsmon $(BUILD)/tlsmon --captures $(PEER_CAPTURES) --list

# A change meant to be output-neutral (a refactoring): tlsmon built from
# REF (a git revision, main by default) and this tree's tlsmon must write
# byte-identical NDJSON on every capture and peer capture.
REF       ?= main
BUILD_REF ?= build-ref
byte-identical: build
	rm -rf $(BUILD_REF) && mkdir -p $(BUILD_REF)/src
	git archive $(REF) | tar -x -C $(BUILD_REF)/src
	meson setup $(BUILD_REF)/build $(BUILD_REF)/src $(MESON_ARGS) >/dev/null
	ninja -C $(BUILD_REF)/build tlsmon
	python3 tests/e2e/byte_identical.py --a $(BUILD_REF)/build/tlsmon \
	  --b $(BUILD)/tlsmon --peer $(PEER_CAPTURES)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN) $(BUILD_MIN) $(BUILD_REF) build-fuzz
