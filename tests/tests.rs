//! Integration tests: the real binary against reference servers on 127.0.0.1 (port 0), closed
//! ports and broken case folders. Nothing here reaches beyond loopback.

mod util;

/// Python tools that judge our JUnit files: junit-10.xsd and junitparser.
mod pytools;
/// Both profiles against those servers: every verdict recorded.
mod rfc_servers;
/// Auth0's SDKs (auth0-python, @auth0/auth0-auth-js) against `serve`: tests/sdks/setup.sh.
mod sdks;
/// Real OAuth servers on loopback (node oidc-provider and @node-oauth/oauth2-server, Python
/// Authlib and django-oauth-toolkit): tests/servers/setup.sh.
mod servers;

/// The GitHub Action run as a runner would, against a release on loopback; the CI-file linters.
mod action;
/// Answers the specs allow instead of the documented error: case `alternatives`.
mod alternatives;
/// docs/cases.md's tables of rows and cases, rendered from the catalogue.
mod catalogue_docs;
/// Colour on a pipe: CLICOLOR_FORCE, NO_COLOR, CLICOLOR and --color.
mod colour;
/// `authconform diff`: two real reports compared.
mod diff;
/// The man page.
mod docs;
/// Every relative link and anchor of the README and docs/ resolves.
mod docs_links;
/// The reference server as a test double for apps on Auth0's SDKs.
mod double;
/// Endpoints resolve as URLs do; hints about the target only where the responses prove them.
mod endpoints;
/// Property tests of the case loader.
mod fuzz;
/// The CI gate: JSON report, deviations file, GitHub annotations, explain, man page.
mod gate;
/// Servers that misbehave.
mod hostile;
/// The HTML report, read back and opened in a real browser.
mod html;
/// `authconform init`: the files a team starts gating with, and the workflow run as CI would.
mod init;
/// Case and schema folders that must be refused with exit code 2.
mod input;
/// The JUnit report, parsed back.
mod junit;
/// The modules of src/ import each other in no loop.
mod layout;
/// Secrets echoed by a server in any encoding, and a secret inside a value that is not secret.
mod masking;
/// Variables declared not applicable, --fail-on-skip, one vars file for both profiles, and
/// exit 2 before the discovery request.
mod not_applicable;
/// The origin rule on every finished request URL.
mod origin;
/// Reports that would harm an input or each other, odd --vars/--deviations files, patterns.
mod outputs;
/// Concurrency, ordering, rate limits and retries.
mod polite;
/// The reference server itself.
mod reference;
/// Whole runs: verdicts, exit codes, failure detail.
mod run;
/// `serve` under hostile clients: bodies, parameters, silent connections, the connection cap.
mod serve_limits;
/// SIGINT, SIGTERM, SIGHUP, SIGKILL and closed pipes.
mod signals;
/// HTTPS targets.
mod tls;
/// The gate tells the truth: nothing tested, unknown names, hostile text, issued credentials.
mod truth;
/// Hostile discovery documents, servers and case folders against every output.
mod untrusted;
