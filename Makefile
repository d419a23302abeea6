# Thin wrapper over meson for the two commands README.md opens with:
#   make demo   install what is missing, build, run tlsmon on the captures
#   make test   install what is missing, build, run the whole test suite
#               (plain build, then again under ASan+UBSan)
BUILD      ?= build
BUILD_SAN  ?= build-asan
MESON_ARGS ?=

# Build and test dependencies, all from Debian.
DEBS = build-essential clang meson ninja-build pkg-config python3 \
       libpcap-dev libndpi-dev libyaml-dev libssl-dev libcmocka-dev \
       tshark tcpdump openssl gnutls-bin curl iproute2 faketime

.PHONY: all deps build demo test test-plain test-sanitize fuzz clean

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

test: test-plain test-sanitize
	@echo "all test suites passed (plain and ASan+UBSan)"

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz
