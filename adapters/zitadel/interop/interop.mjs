// interop.mjs drives a running shim server with ZITADEL's official
// TypeScript client (@zitadel/client) over gRPC, gRPC-web and Connect JSON,
// and exits non-zero on the first answer that is not ZITADEL's.
//
// Usage: node interop.mjs <base URL>   (e.g. http://127.0.0.1:8080)
//
// The server must serve the demo configuration and demo user
// (go run ./examples/shimserver -store memory).
import { createServerTransport } from "@zitadel/client/node";
import { createClientTransport } from "@zitadel/client/web";
import { createUserServiceClient } from "@zitadel/client/v2";
import { NewAuthorizationBearerInterceptor } from "@zitadel/client";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorDetailSchema } from "@zitadel/proto/zitadel/message_pb.js";

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error("usage: node interop.mjs <base URL>");
  process.exit(2);
}
const adminToken = "demo-zitadel-admin";
const selfToken = "demo-zitadel-self";
const demoUserId = "69629026806489455";
const orgId = "69629023906488334";

// The three transports, each exactly as its documentation shows it.
const transports = {
  // @zitadel/client/node: gRPC over HTTP/2 (h2c with prior knowledge for http://).
  grpc: (token) => createServerTransport(token, { baseUrl }),
  // @zitadel/client/web: gRPC-web over fetch (HTTP/1.1).
  "grpc-web": (token) => createClientTransport(token, { baseUrl }),
  // Any Connect transport works with the same service client; JSON here.
  "connect-json": (token) =>
    createConnectTransport({
      baseUrl,
      httpVersion: "1.1",
      useBinaryFormat: false,
      interceptors: [NewAuthorizationBearerInterceptor(token)],
    }),
};

let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    console.error(`  FAIL ${what}`);
  } else {
    console.log(`  ok   ${what}`);
  }
}

// expectError runs call and checks the ConnectError's code and ZITADEL
// error id (from the zitadel.v1.ErrorDetail and the message).
async function expectError(what, call, code, id) {
  try {
    await call();
    check(false, `${what}: succeeded, want ${Code[code]}`);
  } catch (e) {
    const err = ConnectError.from(e);
    const details = err.findDetails(ErrorDetailSchema);
    check(err.code === code, `${what}: code ${Code[err.code]} (want ${Code[code]})`);
    if (id) {
      check(details.some((d) => d.id === id), `${what}: ErrorDetail id ${details.map((d) => d.id).join(",") || "none"} (want ${id})`);
      check(err.rawMessage.includes(`(${id})`), `${what}: message ${JSON.stringify(err.rawMessage)}`);
    } else {
      check(err.rawMessage.length > 0, `${what}: message ${JSON.stringify(err.rawMessage)}`);
    }
  }
}

// wrong returns a code of the same shape that differs from code.
function wrong(code) {
  return code
    .split("")
    .map((c) => (c === "Z" ? "A" : c === "9" ? "0" : String.fromCharCode(c.charCodeAt(0) + 1)))
    .join("");
}

async function scenario(name, n) {
  console.log(`${name}:`);
  const users = createUserServiceClient(transports[name](adminToken));

  // Read the demo user.
  const demo = await users.getUserByID({ userId: demoUserId });
  check(demo.user?.userId === demoUserId, `GetUserByID: userId ${demo.user?.userId}`);
  check(demo.user?.type.case === "human", "GetUserByID: a human user");

  // A user of this transport's own, so the code limits of one address
  // do not carry over from one transport to the next.
  const userId = `interop-${name}-${process.pid}`;
  const added = await users.addHumanUser({
    userId,
    organization: { org: { case: "orgId", value: orgId } },
    profile: { givenName: "Mickey", familyName: "Mouse" },
    email: { email: `mickey.${name}.${process.pid}@example.com`, verification: { case: "isVerified", value: true } },
  });
  check(added.userId === userId, `AddHumanUser: userId ${added.userId}`);
  const got = await users.getUserByID({ userId });
  const seq0 = got.details?.sequence ?? 0n;
  check(seq0 > 0n, `GetUserByID: sequence ${seq0}`);

  // Update the profile.
  const given = `Minnie${n}`;
  const upd = await users.updateHumanUser({
    userId,
    profile: { givenName: given, familyName: "Mouse", nickName: `Mini${n}` },
  });
  const seq1 = upd.details?.sequence ?? 0n;
  check(seq1 === seq0 + 1n, `UpdateHumanUser profile: sequence ${seq0} -> ${seq1}`);
  check(upd.details?.resourceOwner === orgId, `UpdateHumanUser profile: resourceOwner ${upd.details?.resourceOwner}`);
  const after = await users.getUserByID({ userId });
  const profile = after.user?.type.case === "human" ? after.user.type.value.profile : undefined;
  check(profile?.givenName === given && profile?.nickName === `Mini${n}`, `GetUserByID: profile ${profile?.givenName} ${profile?.nickName}`);

  // The same update again changes nothing: success, sequence unchanged.
  const same = await users.updateHumanUser({
    userId,
    profile: { givenName: given, familyName: "Mouse", nickName: `Mini${n}` },
  });
  check(same.details?.sequence === seq1, `UpdateHumanUser unchanged: sequence ${same.details?.sequence} (want ${seq1})`);

  // Change the email with returnCode; a wrong code, then the right one.
  const email = `minnie.${name}.${process.pid}@example.com`;
  const ec = await users.updateHumanUser({
    userId,
    email: { email, verification: { case: "returnCode", value: {} } },
  });
  check(/^[A-Z0-9]{6}$/.test(ec.emailCode ?? ""), `UpdateHumanUser email returnCode: emailCode returned`);
  await expectError("VerifyEmail wrong code", () => users.verifyEmail({ userId, verificationCode: wrong(ec.emailCode ?? "AAAAAA") }), Code.InvalidArgument, "COMMAND-eis9R");
  await users.verifyEmail({ userId, verificationCode: ec.emailCode });
  const ev = await users.getUserByID({ userId });
  const he = ev.user?.type.case === "human" ? ev.user.type.value.email : undefined;
  check(he?.email === email && he?.isVerified === true, `VerifyEmail: ${he?.email} verified=${he?.isVerified}`);

  // Change the phone with returnCode; a wrong code, then the right one.
  const phone = `+4179123450${n}`;
  const pc = await users.updateHumanUser({
    userId,
    phone: { phone, verification: { case: "returnCode", value: {} } },
  });
  check(/^[A-Z0-9]{6}$/.test(pc.phoneCode ?? ""), `UpdateHumanUser phone returnCode: phoneCode returned`);
  await expectError("VerifyPhone wrong code", () => users.verifyPhone({ userId, verificationCode: wrong(pc.phoneCode ?? "AAAAAA") }), Code.InvalidArgument, "COMMAND-eis9R");
  await users.verifyPhone({ userId, verificationCode: pc.phoneCode });
  const pv = await users.getUserByID({ userId });
  const hp = pv.user?.type.case === "human" ? pv.user.type.value.phone : undefined;
  check(hp?.phone === phone && hp?.isVerified === true, `VerifyPhone: ${hp?.phone} verified=${hp?.isVerified}`);

  // UpdateUser, the successor of UpdateHumanUser: the human part only.
  // On a user of its own, as the first user's email has just changed and
  // a second change within the resend cooldown sends no code.
  const userId2 = `${userId}-v2`;
  await users.addHumanUser({
    userId: userId2,
    organization: { org: { case: "orgId", value: orgId } },
    profile: { givenName: given, familyName: "Mouse" },
    email: { email: `mickey2.${name}.${process.pid}@example.com`, verification: { case: "isVerified", value: true } },
  });
  const nick = `Minnie-${name}`;
  const email2 = `minnie2.${name}.${process.pid}@example.com`;
  const uu = await users.updateUser({
    userId: userId2,
    userType: {
      case: "human",
      value: {
        profile: { nickName: nick },
        email: { email: email2, verification: { case: "returnCode", value: {} } },
      },
    },
  });
  check(uu.changeDate !== undefined, `UpdateUser: changeDate returned`);
  check(/^[A-Z0-9]{6}$/.test(uu.emailCode ?? ""), `UpdateUser email returnCode: emailCode returned`);
  await users.verifyEmail({ userId: userId2, verificationCode: uu.emailCode });
  const uv = await users.getUserByID({ userId: userId2 });
  const uh = uv.user?.type.case === "human" ? uv.user.type.value : undefined;
  check(uh?.profile?.nickName === nick && uh?.profile?.givenName === given,
    `UpdateUser: profile ${uh?.profile?.givenName} ${uh?.profile?.nickName} (given name kept)`);
  check(uh?.email?.email === email2 && uh?.email?.isVerified === true, `UpdateUser: ${uh?.email?.email} verified=${uh?.email?.isVerified}`);
  const seqU = uv.details?.sequence;
  await users.updateUser({ userId: userId2, userType: { case: "human", value: { profile: { nickName: nick } } } });
  const uv2 = await users.getUserByID({ userId: userId2 });
  check(uv2.details?.sequence === seqU, `UpdateUser unchanged: sequence ${uv2.details?.sequence} (want ${seqU})`);
  await expectError("UpdateUser machine part", () => users.updateUser({ userId: userId2, userType: { case: "machine", value: { name: "bot" } } }), Code.Unimplemented, "IDUPD-MACHINE01");
  await expectError("UpdateUser unknown user", () => users.updateUser({ userId: "no-such-user", userType: { case: "human", value: { profile: { nickName: "X" } } } }), Code.NotFound, "COMMAND-ugjs0upun6");

  // An unknown user.
  await expectError("UpdateHumanUser unknown user", () => users.updateHumanUser({ userId: "no-such-user", profile: { givenName: "X", familyName: "Y" } }), Code.NotFound, "COMMAND-ugjs0upun6");

  // A user's own token may not assert its address verified.
  const self = createUserServiceClient(transports[name](selfToken));
  await expectError("UpdateHumanUser isVerified with a self token", () => self.updateHumanUser({ userId: demoUserId, email: { email: `self.${name}@example.com`, verification: { case: "isVerified", value: true } } }), Code.PermissionDenied, "AUTHZ-HKJD33");

  // No token, and a call the shim does not serve.
  const anon = createUserServiceClient(transports[name](""));
  await expectError("GetUserByID without a token", () => anon.getUserByID({ userId: demoUserId }), Code.Unauthenticated);
  const listed = await users.listUsers({
    queries: [{ query: { case: "emailQuery", value: { emailAddress: email } } }],
  });
  check(listed.result.length === 1 && listed.result[0].userId === userId,
    `ListUsers by email: ${listed.result.map((u) => u.userId).join(",")} (want ${userId})`);
  check(listed.details?.totalResult === 1n, `ListUsers by email: totalResult ${listed.details?.totalResult}`);
  try {
    await users.deactivateUser({ userId });
    check(false, "DeactivateUser: succeeded, want Unimplemented");
  } catch (e) {
    const err = ConnectError.from(e);
    check(err.code === Code.Unimplemented && err.rawMessage.includes("DeactivateUser"), `DeactivateUser: ${Code[err.code]} ${JSON.stringify(err.rawMessage)}`);
  }
}

// waitReady waits up to 30 s for the server's /healthz.
async function waitReady() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(new URL("/healthz", baseUrl));
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      console.error(`interop: ${baseUrl} did not become ready`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

await waitReady();
let n = 0;
for (const name of Object.keys(transports)) {
  try {
    await scenario(name, n++);
  } catch (e) {
    failures++;
    console.error(`  FAIL ${name}: unexpected error: ${e?.stack ?? e}`);
  }
}
if (failures > 0) {
  console.error(`interop: ${failures} check(s) failed`);
  process.exit(1);
}
console.log("interop: all checks passed");
