# Thin wrapper around CMake: every target a README or CI names lives here.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps build demo check bench fuzz install clean

all: build

deps:
	./scripts/install-deps.sh
	./scripts/install-npm.sh

build:
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then ./scripts/install-deps.sh; fi
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	./scripts/demo.sh $(BUILD) $(if $(NOSERVE),--noserve,)

check: deps build
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCAREDESK_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	./scripts/check.sh $(BUILD) $(ASAN_BUILD)

bench: deps build
	./bench/run.sh $(BUILD) $(N)
	./bench/web_bench.sh $(BUILD)

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCAREDESK_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	./tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
