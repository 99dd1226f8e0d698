# wirecheck — the README's two commands are `make demo` and `make test`.
# Both install missing Debian packages (scripts/setup.sh, as root), then
# configure and build with meson into build/.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30

.PHONY: all setup build demo test unit asan fuzz bench clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

build: setup $(BUILD)/build.ninja
	meson compile -C $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

test: build
	@tests/run_all.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@tests/bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
