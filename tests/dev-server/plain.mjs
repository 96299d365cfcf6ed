// Serves the worker on local workerd like `wrangler dev`, minus the DevTools inspector.
//
// `wrangler dev` always runs an inspector proxy, which charges every `fetch` subrequest (the
// Workflows engine and D1 go through them) for DevTools' network view. Production has no
// such cost, so the benchmarks measure here too. Same options as the `wrangler dev` flags the
// e2e harness uses: --config, --ip, --port, --persist-to, --env-file, --var K:V, --log-level.
// Stops on SIGINT or SIGTERM.
import { unstable_startWorker } from "wrangler";

function parse(argv) {
  const options = { config: "wrangler.toml", ip: "127.0.0.1", port: 8787, vars: {}, envFiles: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case "--config": options.config = value(); break;
      case "--ip": options.ip = value(); break;
      case "--port": options.port = Number(value()); break;
      case "--persist-to": options.persist = value(); break;
      case "--env-file": options.envFiles.push(value()); break;
      case "--log-level": options.logLevel = value(); break;
      case "--var": {
        const pair = value();
        const at = pair.indexOf(":");
        if (at < 1) throw new Error(`--var wants KEY:VALUE, got ${pair}`);
        options.vars[pair.slice(0, at)] = { type: "plain_text", value: pair.slice(at + 1) };
        break;
      }
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

const options = parse(process.argv.slice(2));
const worker = await unstable_startWorker({
  config: options.config,
  envFiles: options.envFiles.length ? options.envFiles : undefined,
  bindings: options.vars,
  dev: {
    remote: false,
    inspector: false,
    watch: false,
    persist: options.persist,
    logLevel: options.logLevel ?? "info",
    server: { hostname: options.ip, port: options.port },
  },
});
await worker.ready;
console.log(`Ready on http://${options.ip}:${options.port} (no inspector)`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await worker.dispose();
    process.exit(0);
  });
}
