// A `node --test` reporter that writes one JSON document: every test (not suites) with
// pass, fail or expected-unsupported (a `todo` or `skip` with its reason), for the
// combined conformance report (conformance-tests/tools/report.py). Use it beside the
// spec reporter:
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//        --test-reporter=./lib/summary-reporter.mjs --test-reporter-destination=<file> test/
import path from "node:path";

export default async function* summaryReporter(source) {
  const operations = [];
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    if (data.details?.type === "suite") continue;
    const file = data.file ? path.basename(data.file).replace(/\.test\.mjs$/, "") : "";
    const operation = file ? `${file}: ${data.name}` : data.name;
    const reasonOf = (v) => (typeof v === "string" && v.length > 0 ? v : "no reason given");
    if (data.todo !== undefined && data.todo !== false) {
      operations.push({ operation, status: "expected-unsupported", reason: `todo: ${reasonOf(data.todo)}` });
    } else if (data.skip !== undefined && data.skip !== false) {
      operations.push({ operation, status: "expected-unsupported", reason: `skip: ${reasonOf(data.skip)}` });
    } else if (event.type === "test:pass") {
      operations.push({ operation, status: "pass" });
    } else {
      const error = data.details?.error;
      const message = String(error?.cause?.message ?? error?.message ?? "failed").split("\n")[0];
      operations.push({ operation, status: "fail", failures: [message] });
    }
  }
  yield JSON.stringify({ client: "dynamics-web-api 2.5.0", operations }, null, 2) + "\n";
}
