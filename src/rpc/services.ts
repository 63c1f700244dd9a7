import type { AppDeps } from "../app.js";
import type { TenantSettingsCache } from "../domain/login/index.js";
import { AdminService } from "../gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../gen/twofold/v1/enrolment_pb.js";
import { adminServiceImpl } from "./admin-service.js";
import { appPasswordServiceImpl } from "./app-password-service.js";
import { authenticationServiceImpl } from "./authentication-service.js";
import { backupCodeServiceImpl } from "./backup-code-service.js";
import { enrolmentServiceImpl } from "./enrolment-service.js";
import { registration, type ServiceRegistration } from "./registration.js";

/** What one replica keeps in memory across calls, beside what each service keeps of its own. */
export interface ReplicaCaches {
  /** The tenants' login settings (`twofold serve` opens it); without it every Challenge reads them. */
  tenantSettings?: TenantSettingsCache;
}

/**
 * Every twofold service with its implementation, for the transports to serve.
 * A method an implementation leaves out answers UNIMPLEMENTED.
 */
export function createServices(deps: AppDeps, caches: ReplicaCaches = {}): ServiceRegistration[] {
  return [
    registration(EnrolmentService, enrolmentServiceImpl(deps)),
    registration(AuthenticationService, authenticationServiceImpl(deps, caches.tenantSettings)),
    registration(BackupCodeService, backupCodeServiceImpl(deps)),
    registration(AppPasswordService, appPasswordServiceImpl(deps)),
    registration(AdminService, adminServiceImpl(deps, caches.tenantSettings)),
  ];
}
