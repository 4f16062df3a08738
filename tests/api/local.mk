# Tests of lia-core serve, the VM API daemon (docs/api/openapi.yaml, docs/lia-vm-api.8).
TESTS += tests/api/endpoints.sh tests/api/abuse.sh tests/api/crash.sh tests/api/load.sh tests/api/units.sh tests/api/fc-double.sh
EXTRA_DIST += tests/api/endpoints.sh tests/api/abuse.sh tests/api/crash.sh tests/api/load.sh tests/api/units.sh tests/api/fc-double.sh \
	tests/api/lib-api.sh tests/api/validate.py tests/api/slow.py tests/bench/api-bench.sh
