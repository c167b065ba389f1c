import { Role } from '@app/config';
import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';
export const PUBLIC_KEY = 'public';

/** Which roles may call an operation. MANAGER can do everything an INTEGRATOR can. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** No key needed (e.g. trackServiceCall). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Reading calls: every role. Changing calls: integrators, managers, and agents (on steps). */
export const READ_ROLES: Role[] = ['INTEGRATOR', 'MANAGER', 'AGENT'];
export const WRITE_ROLES: Role[] = ['INTEGRATOR', 'MANAGER'];
export const STEP_ROLES: Role[] = ['INTEGRATOR', 'MANAGER', 'AGENT'];
