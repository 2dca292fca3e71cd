# The two commands a newcomer types (as root, on Debian): `make demo` and
# `make check`. Both install what is missing first. Meson + Ninja do the
# building; this file only strings the steps together.

BUILD ?= build
ASAN  ?= build-asan
TSAN  ?= build-tsan
FUZZ  ?= build-fuzz
ARM64 ?= build-arm64
FUZZ_SECONDS ?= 300
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: all deps build asan tsan fuzz-build arm64 release fuzz check lint unit integration e2e demo bench clean

all: build

# every group; plain `make` needs only the build group
deps:
	@bash scripts/deps.sh build test e2e fuzz arm64

build:
	@bash scripts/deps.sh build
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) -Dstatic=true
	ninja -C $(BUILD)

# ASan+UBSan build of the same sources (dynamically linked: ASan cannot be static)
asan:
	@bash scripts/deps.sh build
	@test -f $(ASAN)/build.ninja || meson setup $(ASAN) -Dstatic=false -Dbuildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all
	ninja -C $(ASAN)

# ThreadSanitizer build, for the agent's concurrent tests
tsan:
	@bash scripts/deps.sh build
	@test -f $(TSAN)/build.ninja || meson setup $(TSAN) -Dstatic=false -Dbuildtype=debug \
		-Db_sanitize=thread -Db_lundef=false
	ninja -C $(TSAN) cainit tests/mkcert tests/bundle_reader tests/certhash

# libFuzzer targets (clang, ASan+UBSan, the whole build instrumented)
fuzz-build:
	@bash scripts/deps.sh build fuzz
	@test -f $(FUZZ)/build.ninja || CC=clang meson setup $(FUZZ) -Dstatic=false -Dfuzz=true \
		-Dbuildtype=debug -Doptimization=1 -Db_sanitize=address,undefined -Db_lundef=false \
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
		-Dc_link_args=-fno-sanitize-recover=all
	ninja -C $(FUZZ) fuzz/fuzz_cert_input fuzz/fuzz_bundle fuzz/fuzz_init_body fuzz/fuzz_fingerprint \
		fuzz/fuzz_http_req fuzz/fuzz_nss_sdb fuzz/fuzz_tar fuzz/fuzz_keystore fuzz/fuzz_oci fuzz/fuzz_text_block \
		fuzz/fuzz_start_env fuzz/fuzz_seal \
		tests/tar_list

# the static linux-arm64 cainit, cross-compiled against Debian's arm64
# libraries (scripts/cross_arm64.sh), and its unit tests (run under qemu)
ARM64_UNITS = pem cert bundle rootfs prefault subject_hash keystore duration text_block tar sha1_pair watch
arm64:
	bash scripts/cross_arm64.sh $(ARM64)
	ninja -C $(ARM64) cainit $(addprefix tests/test_,$(ARM64_UNITS))

# the release files: a static cainit per architecture and their digests
release: build arm64
	rm -rf dist && mkdir dist
	strip -o dist/cainit-linux-amd64 $(BUILD)/cainit
	aarch64-linux-gnu-strip -o dist/cainit-linux-arm64 $(ARM64)/cainit
	cd dist && sha256sum cainit-linux-amd64 cainit-linux-arm64 > SHA256SUMS
	@cat dist/SHA256SUMS

# each target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=3600)
fuzz: fuzz-build
	bash fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

# the module include graph: no cycle, each layer includes only lower ones,
# front ends only the engine's trust.h (scripts/lint_includes.py)
lint:
	bash tests/lint/test_lint_includes.sh
	bash scripts/java_probe.sh --check

unit: build
	@bash scripts/deps.sh test
	@test -f $(BUILD)/tests/test_pem || meson setup --reconfigure $(BUILD) >/dev/null
	ninja -C $(BUILD)
	meson test -C $(BUILD) --suite unit --print-errorlogs

integration: build
	@bash scripts/deps.sh test
	bash tests/integration/run.sh $(BUILD)

# bake on real images run by podman (a Debian minbase image, cached in
# $(BUILD)/e2e-cache, and an image with no shell and no libc), then every TLS
# client through a real intercepting proxy (mitmdump), before and after
# cainit, by each delivery path: the table in the README
e2e: build
	@bash scripts/deps.sh test e2e
	bash tests/e2e/run.sh $(BUILD)
	bash tests/e2e/matrix.sh $(BUILD)

# Every test, then every test again under ASan+UBSan (e2e runs the static
# build in containers: once), the agent's concurrent tests under TSan, the
# arm64 build's unit tests and command-line tests under qemu, the release
# files (make release: checksums, static, stripped, each runs), and each fuzz
# target for 30 s.
# (each step's start time is printed, "== HH:MM:SS step": where CI's
# minutes go, read off its log)
STEP = @echo "== $$(date -u +%T) $(1)"
check: deps lint build asan tsan fuzz-build arm64
	$(call STEP,unit)
	meson test -C $(BUILD) --suite unit --print-errorlogs
	$(call STEP,integration)
	bash tests/integration/run.sh $(BUILD)
	$(call STEP,arm64)
	bash tests/arch/run.sh $(ARM64) $(BUILD)
	$(call STEP,release)
	$(MAKE) --no-print-directory release
	bash tests/arch/release.sh dist
	$(call STEP,e2e)
	bash tests/e2e/run.sh $(BUILD)
	$(call STEP,matrix)
	bash tests/e2e/matrix.sh $(BUILD)
	$(call STEP,demo)
	bash scripts/demo.sh $(BUILD)
	$(call STEP,asan unit)
	$(SANITIZE_ENV) meson test -C $(ASAN) --suite unit --print-errorlogs
	$(call STEP,asan integration)
	$(SANITIZE_ENV) STATIC_CAINIT=$(abspath $(BUILD))/cainit bash tests/integration/run.sh $(ASAN)
	$(call STEP,tsan)
	TSAN_OPTIONS=halt_on_error=1 CAINIT_IT_FS=tmpfs STATIC_CAINIT=$(abspath $(BUILD))/cainit \
		bash tests/integration/run.sh $(TSAN) t_serve_concurrency
	TSAN_OPTIONS=halt_on_error=1 CAINIT_IT_FS=tmpfs STATIC_CAINIT=$(abspath $(BUILD))/cainit \
		bash tests/integration/run.sh $(TSAN) t_concurrency
	$(call STEP,fuzz)
	bash fuzz/run.sh $(FUZZ) 30
	$(call STEP,done)

demo: build
	@bash scripts/deps.sh test
	bash scripts/demo.sh $(BUILD)

bench: build arm64
	@bash scripts/deps.sh test
	ARM64_CAINIT=$(ARM64)/cainit bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN) $(FUZZ) $(ARM64) $(ARM64)-sysroot dist
