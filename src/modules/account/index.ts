// What the composition root uses of the account module.
export { createAccountService } from "./account.service.ts";
export { createEmailVerificationService, type EmailVerificationService } from "./email-verification.service.ts";
export { createPasswordResetService } from "./password-reset.service.ts";
