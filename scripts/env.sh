# Sourced by the other scripts: tool paths that keep worker-build fully offline (it would
# otherwise download wasm-bindgen, wasm-opt and esbuild) and wrangler quiet.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export ESBUILD_BIN="$root/node_modules/@esbuild/linux-x64/bin/esbuild"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export CARGO_TERM_PROGRESS_WHEN=never
