// The pack entry point for `pulumi preview --policy-pack policy`. Constructing a
// PolicyPack starts its gRPC server, so this file does nothing else: the policies
// live in ./policies and are tested (and run by `aksml plan`) without a server.
// Per-policy enforcement is set with `--policy-pack-config` (see README.md).
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies/all.js";

new PolicyPack("aksml", { policies: allPolicies(), enforcementLevel: "advisory" });
