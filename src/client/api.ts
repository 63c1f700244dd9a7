/**
 * The twofold.v1 messages, enums and service descriptors, re-exported so a
 * client needs no path into the generated code (`v1.Purpose.SECOND_FACTOR`,
 * `create(v1.VerifyRequestSchema, …)`, the type `v1.VerifyResponse`).
 */
export * from "../gen/twofold/v1/admin_pb.js";
export * from "../gen/twofold/v1/app_passwords_pb.js";
export * from "../gen/twofold/v1/authentication_pb.js";
export * from "../gen/twofold/v1/backup_codes_pb.js";
export * from "../gen/twofold/v1/enrolment_pb.js";
export * from "../gen/twofold/v1/types_pb.js";
