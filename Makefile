# prestige — plain GNU make build.
#   make            library (shared + static), CLI, examples (release)
#   make test       install deps, build, run every test (unit tests under ASan + UBSan)
#   make demo       install deps, build, run the demo pipeline
#   make bench      benchmarks against DuckDB
#   make fuzz       libFuzzer targets (clang), 60 s each by default (FUZZ_SECONDS); filters against
#                   DuckDB with a fresh seed
#   make install    PREFIX=/usr/local
SHELL := /bin/bash
CC ?= cc
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include

PKG_LIBS := -lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lcurl -lssl -lcrypto -ljansson \
            -lsqlite3 -lpq -lmicrohttpd -lpthread -lm
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wshadow -Wstrict-prototypes -Wvla
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $(WARN) -fPIC -fvisibility=hidden -pthread -MMD -MP
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null)

RELEASE_CFLAGS := $(BASE_CFLAGS) -O3 -g $(PQ_CFLAGS)
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined $(PQ_CFLAGS)

LIB_SRCS := $(sort $(wildcard src/*/*.c))
TOOL_SRCS := $(sort $(wildcard tools/prestige/*.c))
TEST_COMMON := $(sort $(wildcard tests/common/*.c))
TEST_SRCS := $(sort $(filter-out tests/common/%,$(wildcard tests/*/test_*.c)))
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

R := build/release
A := build/asan

# Relink the libraries when the set of sources changes (a file added or removed), not only
# when an object is newer.
$(shell mkdir -p build; echo '$(LIB_SRCS)' | cmp -s - build/srcs.list || echo '$(LIB_SRCS)' > build/srcs.list)

# Rebuild every object when the compiler flags change (a stale object built with other flags,
# e.g. without -fvisibility=hidden, would otherwise be linked silently).
$(shell echo '$(CC) $(RELEASE_CFLAGS) $(ASAN_CFLAGS)' | cmp -s - build/flags.list || echo '$(CC) $(RELEASE_CFLAGS) $(ASAN_CFLAGS)' > build/flags.list)

R_LIB_OBJS := $(LIB_SRCS:%.c=$(R)/%.o)
A_LIB_OBJS := $(LIB_SRCS:%.c=$(A)/%.o)

.PHONY: all lib tools examples tests bench-bin test demo bench fuzz install uninstall clean deps check-unit
# keep objects of pattern-built binaries (tests, examples, benchmarks) between builds
.SECONDARY:
all: lib tools examples

deps:
	@bash scripts/install-deps.sh

lib: $(R)/libprestige.a $(R)/libprestige.so
tools: $(R)/prestige $(A)/prestige
examples: $(EXAMPLE_SRCS:examples/%.c=$(R)/examples/%)
tests: $(TEST_SRCS:tests/%.c=$(A)/tests/%)
bench-bin: $(BENCH_SRCS:bench/%.c=$(R)/bench/%)

$(R)/%.o: %.c build/flags.list
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -c $< -o $@
$(A)/tests/common/%.o: tests/common/%.c build/flags.list
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests/common -c $< -o $@
$(A)/%.o: %.c build/flags.list
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(R)/libprestige.a: $(R_LIB_OBJS) build/srcs.list
	@rm -f $@
	ar rcs $@ $(filter %.o,$^)
$(A)/libprestige.a: $(A_LIB_OBJS) build/srcs.list
	@rm -f $@
	ar rcs $@ $(filter %.o,$^)
$(R)/libprestige.so: $(R_LIB_OBJS) build/srcs.list
	$(CC) -shared -Wl,-soname,libprestige.so.0 -Wl,--no-undefined -o $@ $(filter %.o,$^) $(PKG_LIBS)

$(R)/prestige: $(TOOL_SRCS:%.c=$(R)/%.o) $(R)/libprestige.a
	$(CC) -pthread -o $@ $(filter %.o,$^) $(R)/libprestige.a $(PKG_LIBS)
$(A)/prestige: $(TOOL_SRCS:%.c=$(A)/%.o) $(A)/libprestige.a
	$(CC) -pthread -fsanitize=address,undefined -o $@ $(filter %.o,$^) $(A)/libprestige.a $(PKG_LIBS)

$(A)/tests/%.o: tests/%.c build/flags.list
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests/common -c $< -o $@
# tests/core/test_oom fails the Nth allocation: every allocation of the library's own code goes
# through its __wrap_* functions (the static library is linked into it), for that binary only.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=posix_memalign,--wrap=aligned_alloc
$(A)/tests/core/test_oom: TEST_LDFLAGS := $(OOM_WRAP)
$(A)/tests/%: $(A)/tests/%.o $(TEST_COMMON:%.c=$(A)/%.o) $(A)/libprestige.a
	@mkdir -p $(dir $@)
	$(CC) -pthread -fsanitize=address,undefined $(TEST_LDFLAGS) -o $@ $(filter %.o,$^) $(A)/libprestige.a $(PKG_LIBS)

$(R)/examples/%: $(R)/examples/%.o $(R)/libprestige.a
	$(CC) -pthread -o $@ $< $(R)/libprestige.a $(PKG_LIBS)
$(R)/bench/%: $(R)/bench/%.o $(R)/libprestige.a
	$(CC) -pthread -o $@ $< $(R)/libprestige.a $(PKG_LIBS)

test: deps
	@$(MAKE) --no-print-directory all tests
	@bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all bench-bin
	@bash bench/run.sh

FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(sort $(wildcard fuzz/*.c))
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)
	@$(MAKE) --no-print-directory all
	@FILTER_SEED=random FILTER_TABLES=$${FILTER_TABLES:-12} bash tests/parquet/it_filter_diff.sh

install: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/prestige
	install -m 644 include/prestige/*.h $(DESTDIR)$(INCDIR)/prestige/
	install -m 644 $(R)/libprestige.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(R)/libprestige.so $(DESTDIR)$(LIBDIR)/libprestige.so.0
	ln -sf libprestige.so.0 $(DESTDIR)$(LIBDIR)/libprestige.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@LIBS@|$(PKG_LIBS)|' prestige.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/prestige.pc
	-ldconfig 2>/dev/null || true
	@if [ -f $(R)/prestige ]; then install -d $(DESTDIR)$(PREFIX)/bin && install -m 755 $(R)/prestige $(DESTDIR)$(PREFIX)/bin/; fi

uninstall:
	rm -rf $(DESTDIR)$(INCDIR)/prestige $(DESTDIR)$(LIBDIR)/libprestige.* $(DESTDIR)$(LIBDIR)/pkgconfig/prestige.pc $(DESTDIR)$(PREFIX)/bin/prestige

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
