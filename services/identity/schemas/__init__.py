"""identity's request and response schemas, one module per room of the API (api/<room>.py),
all importable from here as `schemas.X`. Request fields are mostly optional: the use cases
check each rule themselves, so that every broken rule gets its own message."""

from .signin import (  # noqa: F401
    PasswordLoginSchema, RefreshSchema, TokenPairSchema, SmsLoginSchema, JwkSchema, JwksSchema,
    LogoutSchema, QrCreatedSchema, QrPollSchema, QrConfirmSchema, QrStateSchema, UnitPhoneSessionSchema,
    UnitPhoneSessionResultSchema, CertChallengeSchema, CertificateLoginSchema,
    OidcProviderSchema, OidcAuthorizeSchema, OidcCallbackSchema, OidcResultSchema)
from .registration import (  # noqa: F401
    CaptchaSchema, SmsCodeRequestSchema, RebindSmsCodeRequestSchema, SmsCodeSentSchema,
    DevSmsQuerySchema, DevSmsMessageSchema, DevSmsSchema, RegistrationSchema, RegisteredSchema,
    RealNameSchema, IdNumberConsentSchema, ConsentNoticeSchema, RebindSchema,
    RegistrationStepSchema, AppealRequestSchema, AppealSchema)
from .me import (  # noqa: F401
    AccountSchema, BasicInfoSchema, RecoveryCodesRequestSchema, RecoveryCodesSchema,
    PersonalDataSchema, ClosureSchema, ClosedSchema, AuditQuerySchema, AuditEventSchema,
    ProfileBodySchema, ProfileSchema, ProfilePreviewSchema, PasswordChangeSchema,
    ExternalIdentitySchema, BusinessRecordSchema, AuditPageSchema)
from .admin import (  # noqa: F401
    AppealQuerySchema, StaffAccountRequestSchema, StaffAccountCreatedSchema, TotpResetSchema,
    KeyRotatedSchema, AppealPageSchema)
