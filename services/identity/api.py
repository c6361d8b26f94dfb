"""The gRPC servicers: protobuf -> use case -> protobuf, nothing else.

The runtime's interceptor has already enforced each method's declared policy;
the caller comes from `current_principal()`. Use cases raise domain errors,
which the runtime maps to gRPC statuses.
"""

from __future__ import annotations

from datetime import UTC

from google.api import httpbody_pb2
from google.protobuf import empty_pb2

from portal.identity.v1 import identity_pb2 as pb
from portal.identity.v1 import identity_pb2_grpc
from portal_runtime.auth import current_principal, request_metadata
from services.identity import convert
from services.identity.usecases import accounts, contracts, delegation, letters, links, sessions
from services.identity.usecases.common import Deps

EMPTY = empty_pb2.Empty()
PDF_TYPE = "application/pdf"


def _invitation(
    request: pb.InviteUserRequest | pb.CreateCustomerUserRequest,
) -> delegation.Invitation:
    return delegation.Invitation(
        request.email,
        request.first_name,
        request.last_name,
        request.profile_id,
        request.language,
    )


class IdentityApi(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # ---- public: activation, login, links, refresh ------------------------------
    async def RequestActivation(self, request: pb.RequestActivationRequest, context):
        await links.request_activation(self.deps, request.client_number, request.contract_number)
        return EMPTY

    async def ConfirmActivation(self, request: pb.ConfirmActivationRequest, context):
        tokens = await links.confirm_activation(
            self.deps,
            request.token,
            request.client_number,
            request.contract_number,
            request.password,
        )
        return convert.session(tokens)

    async def Login(self, request: pb.LoginRequest, context):
        client_ip = request_metadata().get("x-client-ip", "")
        tokens = await sessions.login(self.deps, request.login, request.password, client_ip)
        return convert.session(tokens)

    async def FirstLogin(self, request: pb.FirstLoginRequest, context):
        tokens = await sessions.first_login(
            self.deps,
            current_principal(),
            new_password=request.new_password,
            primary_email=request.primary_email,
            secondary_email=request.secondary_email,
            paperless_consent=(
                request.paperless_consent if request.HasField("paperless_consent") else None
            ),
        )
        return convert.session(tokens)

    async def RequestMagicLink(self, request: pb.RequestMagicLinkRequest, context):
        await links.request_magic_link(self.deps, request.email)
        return EMPTY

    async def RedeemMagicLink(self, request: pb.RedeemMagicLinkRequest, context):
        return convert.session(await links.redeem_magic_link(self.deps, request.token))

    async def RequestPasswordReset(self, request: pb.RequestPasswordResetRequest, context):
        await links.request_password_reset(self.deps, request.email)
        return EMPTY

    async def ConfirmPasswordReset(self, request: pb.ConfirmPasswordResetRequest, context):
        await links.confirm_password_reset(self.deps, request.token, request.new_password)
        return EMPTY

    async def RequestIdentifierReminder(
        self, request: pb.RequestIdentifierReminderRequest, context
    ):
        await links.request_identifier_reminder(self.deps, request.email)
        return EMPTY

    async def RefreshToken(self, request: pb.RefreshTokenRequest, context):
        return convert.session(await sessions.refresh(self.deps, request.refresh_token))

    async def Logout(self, request: pb.LogoutRequest, context):
        await sessions.logout(self.deps, current_principal(), request.refresh_token)
        return EMPTY

    # ---- me ---------------------------------------------------------------------------
    async def GetMe(self, request: pb.GetMeRequest, context):
        return convert.me(await accounts.get_me(self.deps, current_principal()))

    async def ChangePassword(self, request: pb.ChangePasswordRequest, context):
        tokens = await sessions.change_password(
            self.deps, current_principal(), request.current_password, request.new_password
        )
        return convert.session(tokens)

    async def SwitchEntity(self, request: pb.SwitchEntityRequest, context):
        tokens = await sessions.switch_entity(self.deps, current_principal(), request.entity_id)
        return convert.session(tokens)

    # ---- account -------------------------------------------------------------------
    async def GetAccount(self, request: pb.GetAccountRequest, context):
        data = await accounts.get_account(self.deps, current_principal())
        return convert.account(data, customer=True)

    async def UpdateAccountContacts(self, request: pb.UpdateAccountContactsRequest, context):
        data = await accounts.update_contacts(
            self.deps, current_principal(), convert.contacts_given(request)
        )
        return convert.account(data, customer=True)

    async def UpdatePaperlessConsent(self, request: pb.UpdatePaperlessConsentRequest, context):
        data = await accounts.update_paperless_consent(
            self.deps, current_principal(), request.paperless_consent
        )
        return convert.account(data, customer=True)

    async def ListContracts(self, request: pb.ListContractsRequest, context):
        found, token = await contracts.list_contracts(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListContractsResponse(
            contracts=[convert.contract(c) for c in found], next_page_token=token
        )

    # ---- users -----------------------------------------------------------------------
    async def ListUsers(self, request: pb.ListUsersRequest, context):
        members, token = await delegation.list_users(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListUsersResponse(users=[convert.user(m) for m in members], next_page_token=token)

    async def InviteUser(self, request: pb.InviteUserRequest, context):
        member = await delegation.invite_user(self.deps, current_principal(), _invitation(request))
        return convert.user(member)

    async def UpdateUser(self, request: pb.UpdateUserRequest, context):
        member = await delegation.update_user(
            self.deps, current_principal(), request.id, request.profile_id
        )
        return convert.user(member)

    async def DeleteUser(self, request: pb.DeleteUserRequest, context):
        await delegation.delete_user(self.deps, current_principal(), request.id)
        return EMPTY

    # ---- profiles --------------------------------------------------------------------
    async def ListProfiles(self, request: pb.ListProfilesRequest, context):
        found, token = await delegation.list_profiles(
            self.deps, current_principal(), request.page_size, request.page_token
        )
        return pb.ListProfilesResponse(
            profiles=[convert.profile(p) for p in found], next_page_token=token
        )

    async def CreateProfile(self, request: pb.CreateProfileRequest, context):
        created = await delegation.create_profile(
            self.deps, current_principal(), request.name, list(request.permissions)
        )
        return convert.profile(created)

    async def UpdateProfile(self, request: pb.UpdateProfileRequest, context):
        updated = await delegation.update_profile(
            self.deps, current_principal(), request.id, request.name, list(request.permissions)
        )
        return convert.profile(updated)

    async def DeleteProfile(self, request: pb.DeleteProfileRequest, context):
        await delegation.delete_profile(self.deps, current_principal(), request.id)
        return EMPTY


class IdentityAdminApi(identity_pb2_grpc.IdentityAdminServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def CreateAccount(self, request: pb.CreateAccountRequest, context):
        new = accounts.NewAccount(
            name=request.name,
            client_number=request.client_number,
            contract_number=request.contract_number,
            contract_label=request.contract_label,
            manager_email=request.manager.email,
            manager_first_name=request.manager.first_name,
            manager_last_name=request.manager.last_name,
            language=request.language,
            unlock_rule=convert.unlock_rule_given(request.unlock_rule),
            paperless_consent_required=request.paperless_consent_required,
        )
        return convert.account(await accounts.create_account(self.deps, current_principal(), new))

    async def ListAccounts(self, request: pb.ListAccountsRequest, context):
        found, token = await accounts.list_accounts(
            self.deps, current_principal(), request.q, request.page_size, request.page_token
        )
        return pb.ListAccountsResponse(
            accounts=[convert.account(a) for a in found], next_page_token=token
        )

    async def GetCustomerAccount(self, request: pb.GetCustomerAccountRequest, context):
        data = await accounts.admin_get_account(self.deps, current_principal(), request.id)
        return convert.account(data)

    async def UpdateAccountSettings(self, request: pb.UpdateAccountSettingsRequest, context):
        required = (
            request.paperless_consent_required
            if request.HasField("paperless_consent_required")
            else None
        )
        data = await accounts.update_settings(
            self.deps,
            current_principal(),
            request.id,
            unlock_rule=convert.unlock_rule_given(request.unlock_rule),
            paperless_consent_required=required,
        )
        return convert.account(data)

    async def AddContract(self, request: pb.AddContractRequest, context):
        started = (
            request.started_at.ToDatetime(tzinfo=UTC) if request.HasField("started_at") else None
        )
        added = await contracts.add_contract(
            self.deps, current_principal(), request.id, request.number, request.label, started
        )
        return convert.contract(added)

    async def EndContract(self, request: pb.EndContractRequest, context):
        ended = await contracts.end_contract(
            self.deps, current_principal(), request.id, request.number
        )
        return convert.contract(ended)

    async def UnlockDelegation(self, request: pb.UnlockDelegationRequest, context):
        data = await accounts.operator_unlock_delegation(self.deps, current_principal(), request.id)
        return convert.account(data)

    async def CreateCustomerUser(self, request: pb.CreateCustomerUserRequest, context):
        member, temporary = await delegation.admin_create_user(
            self.deps, current_principal(), request.entity_id, _invitation(request)
        )
        return pb.CreateCustomerUserResponse(
            user=convert.user(member), temporary_password=temporary
        )

    async def InviteCustomerUser(self, request: pb.InviteCustomerUserRequest, context):
        member = await delegation.admin_invite_user(
            self.deps, current_principal(), request.entity_id, _invitation(request)
        )
        return convert.user(member)

    async def PrintWelcomeLetter(self, request: pb.PrintWelcomeLetterRequest, context):
        data = await letters.print_welcome_letter(
            self.deps, current_principal(), request.id, request.entity_id
        )
        return httpbody_pb2.HttpBody(content_type=PDF_TYPE, data=data)
