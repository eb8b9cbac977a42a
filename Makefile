# tezos-hsm-signer — build, test and run from a fresh clone.
# Everything missing is installed here: Debian packages (apt-get when root, else the exact command is
# printed), a supported Node (>= 22) from the npm registry when the system one is older, npm deps.

SHELL := /bin/bash
.DEFAULT_GOAL := build
# Beyond SoftHSM2 the suite runs p11-kit's RPC, tpm2-pkcs11 on a software TPM and openCryptoki, and
# cross-builds and runs the arm64 prebuild under qemu user emulation; make test-sanitize preloads gcc's
# sanitizer runtimes (libasan8, libubsan1, libtsan2).
APT_PACKAGES := softhsm2 opensc postgresql cmake g++ clang-format \
  p11-kit p11-kit-modules \
  swtpm swtpm-tools libtpm2-pkcs11-1 libtpm2-pkcs11-tools tpm2-tools tpm2-abrmd libtss2-tcti-tabrmd0 dbus \
  opencryptoki \
  g++-aarch64-linux-gnu qemu-user-static \
  libasan8 libubsan1 libtsan2
TOOLS := $(CURDIR)/.tools
# node@24 from the npm registry lands here when the system node is older than 22 (docs/install.md).
export PATH := $(CURDIR)/node_modules/.bin:$(TOOLS)/node_modules/.bin:$(PATH)
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false
PREBUILD_SOURCES := CMakeLists.txt $(wildcard native/*.c native/*.cpp native/*.h) native/prebuild.sh \
  native/cmake-js-as-node-gyp.sh native/aarch64-linux-gnu.cmake
PREBUILD_X64 := prebuilds/linux-x64/tezos-hsm-signer.glibc.node
PREBUILD_ARM64 := prebuilds/linux-arm64/tezos-hsm-signer.glibc.node

.PHONY: build test test-unit test-arm64 test-sanitize run lint coverage bench prebuild package clean deps sysdeps node native ts

sysdeps: .tools/sysdeps.stamp
.tools/sysdeps.stamp: Makefile
	@mkdir -p .tools
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@touch $@

node: .tools/node.stamp
.tools/node.stamp:
	@mkdir -p .tools
	@major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -lt 22 ] && [ ! -x $(TOOLS)/node_modules/.bin/node ]; then \
	  echo "system node is $$(node --version 2>/dev/null || echo absent); installing node@24 from the npm registry into .tools"; \
	  cd $(TOOLS) && { [ -f package.json ] || echo '{"private":true}' > package.json; } && \
	  npm install --no-save --no-package-lock --loglevel=error node@24 >/dev/null; \
	fi
	@echo "using node $$(node --version) at $$(command -v node)"
	@touch $@

deps: sysdeps node node_modules/.install.stamp
node_modules/.install.stamp: package.json $(wildcard package-lock.json) .tools/node.stamp .tools/sysdeps.stamp
	@if [ -f package-lock.json ]; then npm ci --loglevel=error; else npm install --loglevel=error; fi
	@touch $@

native: deps
	npm run --silent build:native

ts: deps
	npm run --silent build:ts

build: native ts

lint: deps
	npm run --silent lint

# The last line is the plain 'N passed, N failed' summary that CI reads. The package test
# (test/15-package-*) installs the packed tarball, so the linux-x64 prebuild is built first.
test: build lint $(PREBUILD_X64)
	@mkdir -p build
	npx vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json; rc=$$?; \
	node -e 'const r=require("./build/vitest.json");console.log(`vitest: $${r.numPassedTests} passed, $${r.numFailedTests} failed`)' || true; \
	exit $$rc

# The unit project alone (vitest.config.ts): no SoftHSM2, PostgreSQL or child process; Node and the addon.
test-unit: build
	npx vitest run --project unit

# The HSM tests against an ASan+UBSan build of the addon, then a TSan build (native/sanitize.sh), each in
# its own directory under build/; any sanitizer report fails the target. Minutes long, so make test
# leaves it out.
test-sanitize: build
	sh native/sanitize.sh asan
	sh native/sanitize.sh tsan

coverage: build
	npx vitest run --coverage

bench: build
	npm run --silent bench

# Node-API prebuilds shipped in the package (native/prebuild.sh): linux-x64 and, cross-compiled,
# linux-arm64 (variables at the top). Each is rebuilt when the addon's sources change.
prebuild: $(PREBUILD_X64) $(PREBUILD_ARM64)
# x64 links in the development build directory: after it, never beside it (make -j).
$(PREBUILD_X64): $(PREBUILD_SOURCES) node_modules/.install.stamp | native
	sh native/prebuild.sh x64
$(PREBUILD_ARM64): $(PREBUILD_SOURCES) node_modules/.install.stamp
	sh native/prebuild.sh arm64

# The npm tarball (build/tezos-hsm-signer-<version>.tgz) from a clean dist/ and both prebuilds.
package: native prebuild
	rm -rf dist && npm run --silent build:ts
	@mkdir -p build
	npm pack --pack-destination build

# The arm64 prebuild under qemu user emulation, with Node and SoftHSM2 for arm64 unpacked into
# .tools/arm64 (test/fixtures/arm64-root.sh; nothing installed in the system).
ARM64_ROOT := $(TOOLS)/arm64
$(ARM64_ROOT)/.stamp: test/fixtures/arm64-root.sh .tools/node.stamp .tools/sysdeps.stamp
	sh test/fixtures/arm64-root.sh $(ARM64_ROOT)
	@touch $@
test-arm64: build $(PREBUILD_X64) $(PREBUILD_ARM64) $(ARM64_ROOT)/.stamp
	ARM64_ROOT=$(ARM64_ROOT) npx vitest run test/15-package-arm64.test.ts

run: build
	node bin/tezos-hsm-signer.js dev-hsm init --dir ./var
	node bin/tezos-hsm-signer.js serve --config ./var/signer.yaml

clean:
	rm -rf build dist coverage node_modules/.install.stamp
