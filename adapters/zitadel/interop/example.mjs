// example.mjs changes the demo user through ZITADEL's official client over
// gRPC (cleartext HTTP/2), as the README shows. Usage: node example.mjs
import { createServerTransport } from "@zitadel/client/node";
import { createUserServiceClient } from "@zitadel/client/v2";
import { Code } from "@connectrpc/connect";

const userId = "69629026806489455";
const transport = createServerTransport("demo-zitadel-admin", { baseUrl: "http://127.0.0.1:8080" });
const users = createUserServiceClient(transport);

const { user } = await users.getUserByID({ userId });
console.log(user.username, user.type.value.profile.givenName, user.type.value.email.email);

const res = await users.updateHumanUser({
  userId,
  profile: { givenName: "Minnie", familyName: "Mouse", nickName: "Mini" },
  email: { email: "mini@mouse.com", verification: { case: "returnCode", value: {} } },
});
console.log("sequence", String(res.details.sequence), "emailCode", res.emailCode);

try {
  await users.verifyEmail({ userId, verificationCode: "WRONG1" });
} catch (err) {
  console.log(Code[err.code], err.rawMessage);
}
const ok = await users.verifyEmail({ userId, verificationCode: res.emailCode });
console.log("verified, sequence", String(ok.details.sequence));
