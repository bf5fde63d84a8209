"""Every type of audit entry, in one enum (Zulip's `AuditLogEventType`).

`audit_record` refuses a type that is not listed here, so the audit log can be read (and
filtered on the audit page) by a closed vocabulary, and a new kind of action is added here
first. The values are what the rows store; `LABELS` names each type for people, in both
languages (Chinese msgids, English in the catalogue), and `event_label` is what pages show.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AuditEventType(StrEnum):
    # sign-in and accounts
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGIN_REFUSED_LOCKED = "auth.login_refused_locked"
    LOCKOUT = "auth.lockout"
    LOGOUT = "auth.logout"
    TOTP_ENROLLED = "auth.totp_enrolled"
    TOTP_RESET = "auth.totp_reset"
    USER_CREATED = "user.created"
    USER_ROLES_CHANGED = "user.roles_changed"
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105 (an event name)
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (by the owner)
    USER_ACTIVE_SET = "user.active_set"
    USER_IMPORTED = "user.imported"  # many accounts from one spreadsheet (accounts/bulk.py)
    # user administration from the web (issue 13): jurisdictions and unit memberships
    USER_JURISDICTIONS_CHANGED = "user.jurisdictions_changed"
    UNIT_MEMBER_REMOVED = "unit.member_removed"
    # separation of duties (三员分立): the two-person rule and the break-glass command
    CREDENTIAL_CHANGE_REQUESTED = "credential_change.requested"
    CREDENTIAL_CHANGE_APPROVED = "credential_change.approved"
    CREDENTIAL_CHANGE_REJECTED = "credential_change.rejected"
    BREAK_GLASS = "auth.break_glass"
    API_TOKEN_CREATED = "api.token_created"  # noqa: S105 (an event name)
    API_TOKEN_REVOKED = "api.token_revoked"  # noqa: S105 (an event name)
    # reference data
    ADMIN_ADD = "admin.add"
    ADMIN_CHANGE = "admin.change"
    ADMIN_DELETE = "admin.delete"
    AREA_IMPORTED = "area.imported"
    AREA_BOUNDARY_CHANGED = "area.boundary_changed"
    ROADS_IMPORTED = "roads.imported"
    ROADS_REMOVED = "roads.removed"
    GRID_STAFF_ASSIGNED = "grid.staff_assigned"
    GRID_STAFF_UNASSIGNED = "grid.staff_unassigned"
    UNIT_CREATED = "unit.created"
    UNIT_MEMBER_ADDED = "unit.member_added"
    UNIT_MEMBER_CHANGED = "unit.member_changed"
    CATEGORY_LOADED = "category.loaded"
    CALENDAR_DAY_SET = "calendar.day_set"
    CALENDAR_DAY_DELETED = "calendar.day_deleted"
    # cases: intake, every row of the workflow table, documents, personal data
    CASE_INTAKE = "case.intake"
    CASE_ACCEPT = "case.accept"
    CASE_REJECT = "case.reject"
    CASE_DISPATCH = "case.dispatch"
    CASE_RETURN = "case.return"
    CASE_TRANSFER = "case.transfer"
    CASE_ESCALATE = "case.escalate"
    CASE_HAND_OFF = "case.hand_off"
    CASE_ACKNOWLEDGE_HANDOFF = "case.acknowledge_handoff"
    CASE_HANDOFF_OUTCOME = "case.handoff_outcome"
    CASE_RECORD_SESSION = "case.record_session"
    CASE_RESOLVE = "case.resolve"
    CASE_VERIFY = "case.verify"
    CASE_REWORK = "case.rework"
    CASE_FOLLOW_UP = "case.follow_up"
    CASE_CLOSE = "case.close"
    CASE_REOPEN = "case.reopen"
    CASE_SUSPEND = "case.suspend"
    CASE_RESUME = "case.resume"
    CASE_REQUEST_EXTENSION = "case.request_extension"
    CASE_DECIDE_EXTENSION = "case.decide_extension"
    CASE_SUPERVISE = "case.supervise"
    CASE_REMIND = "case.remind"
    CASE_MERGE = "case.merge"
    CASE_ATTACH = "case.attach"
    CASE_AGREEMENT_CREATED = "case.agreement_created"
    CASE_RESIDENT_RATING = "case.resident_rating"
    CASE_RATING_LINK_SENT = "case.rating_link_sent"
    # cases: parties and facts after intake (civicgrid/cases/services/parties.py, facts.py)
    CASE_PARTY_ADDED = "case.party_added"
    CASE_PARTY_UPDATED = "case.party_updated"
    CASE_PARTY_REMOVED = "case.party_removed"
    CASE_FACTS_CORRECTED = "case.facts_corrected"
    AGREEMENT_DOWNLOADED = "document.agreement_downloaded"
    CASE_LIST_EXPORTED = "document.case_list_exported"
    PII_REVEALED = "pii.revealed"
    CRYPTO_KEYS_ROTATED = "crypto.keys_rotated"
    WEBHOOK_RETRY = "webhook.retry"
    # warnings, statistics, reports
    WEEKLY_CHECK_SUBMITTED = "weekly_check.submitted"
    WEEKLY_CHECK_RESUBMITTED = "weekly_check.resubmitted"
    WEEKLY_CHECK_REMINDED = "weekly_check.reminded"
    WEEKLY_CHECK_REMINDERS_SENT = "weekly_check.reminders_sent"
    WEEKLY_CHECK_CONFLICT = "weekly_check.conflict"
    WEEKLY_CHECK_CONFLICT_RESOLVED = "weekly_check.conflict_resolved"
    AREA_STATUS_EVALUATED = "area_status.evaluated"
    STATS_TARGET_SET = "stats.target_set"
    STATS_ROLLUP_REBUILT = "stats.rollup_rebuilt"
    RELEASE_PUBLISHED = "report.release_published"
    RELEASE_CORRECTED = "report.release_corrected"
    # the registry's places (civicgrid/registry)
    REGISTRY_BUILDING_CREATED = "registry.building_created"
    REGISTRY_BUILDING_VERIFIED = "registry.building_verified"
    REGISTRY_ROOM_USE_SET = "registry.room_use_set"
    REGISTRY_ROOM_OWNER_SET = "registry.room_owner_set"
    # the registry's people, households and organisations; the privacy layer
    REGISTRY_PERSON_CREATED = "registry.person_created"
    REGISTRY_PERSON_UPDATED = "registry.person_updated"
    REGISTRY_PERSON_ID_CORRECTED = "registry.person_id_corrected"
    REGISTRY_PERSON_VIEWED = "registry.person_viewed"
    REGISTRY_PERSON_USED_AS_PARTY = "registry.person_used_as_party"
    REGISTRY_DUPLICATE_REFUSED = "registry.duplicate_refused"
    REGISTRY_MOVED_IN = "registry.moved_in"
    REGISTRY_MOVED_OUT = "registry.moved_out"
    REGISTRY_PERSON_LEFT = "registry.person_left"
    REGISTRY_CHANGE_UNDONE = "registry.change_undone"
    REGISTRY_HOUSEHOLD_CREATED = "registry.household_created"
    REGISTRY_HOUSEHOLD_MEMBER_ADDED = "registry.household_member_added"
    REGISTRY_PERMIT_RECORDED = "registry.permit_recorded"
    REGISTRY_ORGANISATION_CREATED = "registry.organisation_created"
    REGISTRY_ORGANISATION_UPDATED = "registry.organisation_updated"
    REGISTRY_RENTAL_RECORDED = "registry.rental_recorded"
    REGISTRY_RENTAL_ENDED = "registry.rental_ended"
    REGISTRY_RENTAL_OVERCROWDED = "registry.rental_overcrowded"
    REGISTRY_DORMITORY_RECORDED = "registry.dormitory_recorded"
    REGISTRY_RETENTION_APPLIED = "registry.retention_applied"
    REGISTRY_FIGURES_REBUILT = "registry.figures_rebuilt"
    # the registry's change review (civicgrid/registry/services/review.py)
    REGISTRY_REVIEW_RULE_SET = "registry.review_rule_set"
    REGISTRY_CHANGE_SUBMITTED = "registry.change_submitted"
    REGISTRY_CHANGE_APPROVED = "registry.change_approved"
    REGISTRY_CHANGE_RETURNED = "registry.change_returned"
    REGISTRY_CHANGE_WITHDRAWN = "registry.change_withdrawn"
    # imports of registry data (civicgrid/imports)
    IMPORT_UPLOADED = "import.uploaded"
    IMPORT_APPLIED = "import.applied"
    IMPORT_UNDONE = "import.undone"
    IMPORT_DISCARDED = "import.discarded"
    IMPORT_FILES_DELETED = "import.files_deleted"
    # export of an area's registry (civicgrid/imports/exports.py)
    REGISTRY_EXPORTED = "registry.exported"
    ACCESS_LOG_EXPORTED = "pii.access_log_exported"
    # notices
    NOTICE_READ = "notice.read"
    # major matters, their risk assessment and hearings (civicgrid/risk)
    CASE_MATTER_TAGGED = "case.matter_tagged"
    RISK_KIND_SET = "risk.kind_set"
    RISK_RULE_PUBLISHED = "risk.rule_published"
    MATTER_REGISTERED = "matter.registered"
    MATTER_CHANGED = "matter.changed"
    MATTER_EXEMPTION_REQUESTED = "matter.exemption_requested"
    MATTER_EXEMPTION_DECIDED = "matter.exemption_decided"
    MATTER_WITHDRAWN = "matter.withdrawn"
    MATTER_DECIDED = "matter.decided"
    MATTER_IMPLEMENTED = "matter.implemented"
    MATTER_REASSESSMENT_SUGGESTED = "matter.reassessment_suggested"
    ASSESSMENT_STARTED = "assessment.started"
    ASSESSMENT_CHANGED = "assessment.changed"
    ASSESSMENT_RATED = "assessment.rated"
    ASSESSMENT_REPORTED = "assessment.reported"
    HEARING_CREATED = "hearing.created"
    HEARING_CHANGED = "hearing.changed"
    HEARING_NOTICED = "hearing.noticed"
    HEARING_REGISTERED = "hearing.registered"
    HEARING_REGISTRATION_WITHDRAWN = "hearing.registration_withdrawn"
    HEARING_REGISTRATION_CLOSED = "hearing.registration_closed"
    HEARING_DRAWN = "hearing.drawn"
    HEARING_COMMENTED = "hearing.commented"
    HEARING_COMMENT_DISPOSED = "hearing.comment_disposed"
    HEARING_HELD = "hearing.held"
    HEARING_MINUTES_SIGNED = "hearing.minutes_signed"
    HEARING_PUBLISHED = "hearing.published"
    HEARING_PARTICULAR_REVEALED = "hearing.particular_revealed"
    # the public safety-perception survey (civicgrid/surveys)
    SURVEY_ROUND_CREATED = "survey.round_created"
    SURVEY_ROUND_CHANGED = "survey.round_changed"
    SURVEY_FRAME_FROZEN = "survey.frame_frozen"
    SURVEY_SAMPLE_DRAWN = "survey.sample_drawn"
    SURVEY_UNITS_ASSIGNED = "survey.units_assigned"
    SURVEY_FIELDWORK_OPENED = "survey.fieldwork_opened"
    SURVEY_CALL_RECORDED = "survey.call_recorded"
    SURVEY_INTERVIEW_RECORDED = "survey.interview_recorded"
    SURVEY_RESERVE_RELEASED = "survey.reserve_released"
    SURVEY_CONTACT_REVEALED = "survey.contact_revealed"
    SURVEY_WEB_LINKS_ISSUED = "survey.web_links_issued"
    SURVEY_ROUND_CLOSED = "survey.round_closed"
    SURVEY_ROUND_CANCELLED = "survey.round_cancelled"
    # the demo district
    DEMO_SEEDED = "demo.seeded"


# What each type is called on the audit page and in the admin (a test checks every type has
# one). Lazy: translated when shown.
LABELS: dict[AuditEventType, Promise] = {
    AuditEventType.LOGIN: _("登录"),
    AuditEventType.LOGIN_FAILED: _("登录失败"),
    AuditEventType.LOGIN_REFUSED_LOCKED: _("锁定期间拒绝登录"),
    AuditEventType.LOCKOUT: _("账号锁定"),
    AuditEventType.LOGOUT: _("退出登录"),
    AuditEventType.TOTP_ENROLLED: _("启用两步验证"),
    AuditEventType.TOTP_RESET: _("重置两步验证"),
    AuditEventType.USER_CREATED: _("创建用户"),
    AuditEventType.USER_ROLES_CHANGED: _("修改用户角色"),
    AuditEventType.USER_PASSWORD_SET: _("设置密码"),
    AuditEventType.USER_PASSWORD_CHANGED: _("本人修改密码"),
    AuditEventType.USER_ACTIVE_SET: _("启用或停用用户"),
    AuditEventType.USER_IMPORTED: _("批量导入用户"),
    AuditEventType.USER_JURISDICTIONS_CHANGED: _("修改管辖范围"),
    AuditEventType.UNIT_MEMBER_REMOVED: _("移出单位成员"),
    AuditEventType.CREDENTIAL_CHANGE_REQUESTED: _("申请变更凭据"),
    AuditEventType.CREDENTIAL_CHANGE_APPROVED: _("批准变更凭据"),
    AuditEventType.CREDENTIAL_CHANGE_REJECTED: _("驳回变更凭据"),
    AuditEventType.BREAK_GLASS: _("紧急访问"),
    AuditEventType.API_TOKEN_CREATED: _("创建接口令牌"),
    AuditEventType.API_TOKEN_REVOKED: _("吊销接口令牌"),
    AuditEventType.ADMIN_ADD: _("后台新增"),
    AuditEventType.ADMIN_CHANGE: _("后台修改"),
    AuditEventType.ADMIN_DELETE: _("后台删除"),
    AuditEventType.AREA_IMPORTED: _("导入区域"),
    AuditEventType.AREA_BOUNDARY_CHANGED: _("修改区域边界"),
    AuditEventType.ROADS_IMPORTED: _("导入道路"),
    AuditEventType.ROADS_REMOVED: _("删除导入的道路"),
    AuditEventType.GRID_STAFF_ASSIGNED: _("配备网格人员"),
    AuditEventType.GRID_STAFF_UNASSIGNED: _("撤出网格人员"),
    AuditEventType.UNIT_CREATED: _("创建单位"),
    AuditEventType.UNIT_MEMBER_ADDED: _("添加单位成员"),
    AuditEventType.UNIT_MEMBER_CHANGED: _("修改单位成员"),
    AuditEventType.CATEGORY_LOADED: _("载入事件分类"),
    AuditEventType.CALENDAR_DAY_SET: _("设置工作日历"),
    AuditEventType.CALENDAR_DAY_DELETED: _("删除工作日历"),
    AuditEventType.CASE_INTAKE: _("事件登记"),
    AuditEventType.CASE_ACCEPT: _("受理"),
    AuditEventType.CASE_REJECT: _("不予受理"),
    AuditEventType.CASE_DISPATCH: _("交办"),
    AuditEventType.CASE_RETURN: _("退回"),
    AuditEventType.CASE_TRANSFER: _("转办"),
    AuditEventType.CASE_ESCALATE: _("上报"),
    AuditEventType.CASE_HAND_OFF: _("对接移交"),
    AuditEventType.CASE_ACKNOWLEDGE_HANDOFF: _("确认接收移交"),
    AuditEventType.CASE_HANDOFF_OUTCOME: _("移交结果"),
    AuditEventType.CASE_RECORD_SESSION: _("记录调解"),
    AuditEventType.CASE_RESOLVE: _("办结"),
    AuditEventType.CASE_VERIFY: _("核查"),
    AuditEventType.CASE_REWORK: _("退回重办"),
    AuditEventType.CASE_FOLLOW_UP: _("回访"),
    AuditEventType.CASE_CLOSE: _("结案"),
    AuditEventType.CASE_REOPEN: _("重新办理"),
    AuditEventType.CASE_SUSPEND: _("缓办"),
    AuditEventType.CASE_RESUME: _("恢复办理"),
    AuditEventType.CASE_REQUEST_EXTENSION: _("申请延期"),
    AuditEventType.CASE_DECIDE_EXTENSION: _("审批延期"),
    AuditEventType.CASE_SUPERVISE: _("督办"),
    AuditEventType.CASE_REMIND: _("催办"),
    AuditEventType.CASE_MERGE: _("合并事件"),
    AuditEventType.CASE_ATTACH: _("上传附件"),
    AuditEventType.CASE_AGREEMENT_CREATED: _("生成调解协议书"),
    AuditEventType.CASE_RESIDENT_RATING: _("群众评价"),
    AuditEventType.CASE_RATING_LINK_SENT: _("发送评价链接"),
    AuditEventType.CASE_PARTY_ADDED: _("添加当事人"),
    AuditEventType.CASE_PARTY_UPDATED: _("修改当事人"),
    AuditEventType.CASE_PARTY_REMOVED: _("移除当事人"),
    AuditEventType.CASE_FACTS_CORRECTED: _("更正事件信息"),
    AuditEventType.AGREEMENT_DOWNLOADED: _("下载调解协议书"),
    AuditEventType.CASE_LIST_EXPORTED: _("导出事件列表"),
    AuditEventType.PII_REVEALED: _("查看完整个人信息"),
    AuditEventType.CRYPTO_KEYS_ROTATED: _("轮换加密密钥"),
    AuditEventType.WEBHOOK_RETRY: _("重发推送"),
    AuditEventType.WEEKLY_CHECK_SUBMITTED: _("提交周排查"),
    AuditEventType.WEEKLY_CHECK_RESUBMITTED: _("重新提交周排查"),
    AuditEventType.WEEKLY_CHECK_REMINDED: _("催报周排查"),
    AuditEventType.WEEKLY_CHECK_REMINDERS_SENT: _("发送周排查提醒"),
    AuditEventType.WEEKLY_CHECK_CONFLICT: _("周排查编辑冲突"),
    AuditEventType.WEEKLY_CHECK_CONFLICT_RESOLVED: _("裁定周排查冲突"),
    AuditEventType.AREA_STATUS_EVALUATED: _("评估区域预警"),
    AuditEventType.STATS_TARGET_SET: _("设置考核目标"),
    AuditEventType.STATS_ROLLUP_REBUILT: _("重建统计数据"),
    AuditEventType.RELEASE_PUBLISHED: _("发布月度通报"),
    AuditEventType.RELEASE_CORRECTED: _("更正月度通报"),
    AuditEventType.REGISTRY_BUILDING_CREATED: _("登记楼栋"),
    AuditEventType.REGISTRY_BUILDING_VERIFIED: _("核实楼栋"),
    AuditEventType.REGISTRY_ROOM_USE_SET: _("登记房屋用途"),
    AuditEventType.REGISTRY_ROOM_OWNER_SET: _("登记房屋产权人"),
    AuditEventType.REGISTRY_PERSON_CREATED: _("登记实有人口"),
    AuditEventType.REGISTRY_PERSON_UPDATED: _("修改实有人口信息"),
    AuditEventType.REGISTRY_PERSON_ID_CORRECTED: _("更正证件号码"),
    AuditEventType.REGISTRY_PERSON_VIEWED: _("查看实有人口信息"),
    AuditEventType.REGISTRY_PERSON_USED_AS_PARTY: _("引用实有人口为当事人"),
    AuditEventType.REGISTRY_DUPLICATE_REFUSED: _("重复登记被拒(证件号码已登记)"),
    AuditEventType.REGISTRY_MOVED_IN: _("登记入住"),
    AuditEventType.REGISTRY_MOVED_OUT: _("登记搬离"),
    AuditEventType.REGISTRY_PERSON_LEFT: _("登记迁出、死亡或注销"),
    AuditEventType.REGISTRY_CHANGE_UNDONE: _("撤销人口变动"),
    AuditEventType.REGISTRY_HOUSEHOLD_CREATED: _("登记户"),
    AuditEventType.REGISTRY_HOUSEHOLD_MEMBER_ADDED: _("登记户成员"),
    AuditEventType.REGISTRY_PERMIT_RECORDED: _("登记居住证"),
    AuditEventType.REGISTRY_ORGANISATION_CREATED: _("登记实有单位"),
    AuditEventType.REGISTRY_ORGANISATION_UPDATED: _("修改实有单位"),
    AuditEventType.REGISTRY_RENTAL_RECORDED: _("登记出租房屋"),
    AuditEventType.REGISTRY_RENTAL_ENDED: _("出租房屋停租"),
    AuditEventType.REGISTRY_RENTAL_OVERCROWDED: _("出租房屋超员提示"),
    AuditEventType.REGISTRY_DORMITORY_RECORDED: _("登记集中居住点"),
    AuditEventType.REGISTRY_RETENTION_APPLIED: _("清除过期个人信息"),
    AuditEventType.REGISTRY_FIGURES_REBUILT: _("重建登记统计"),
    AuditEventType.REGISTRY_REVIEW_RULE_SET: _("设置登记变更审核"),
    AuditEventType.REGISTRY_CHANGE_SUBMITTED: _("提交登记变更待审核"),
    AuditEventType.REGISTRY_CHANGE_APPROVED: _("审核通过登记变更"),
    AuditEventType.REGISTRY_CHANGE_RETURNED: _("退回登记变更"),
    AuditEventType.REGISTRY_CHANGE_WITHDRAWN: _("撤回登记变更"),
    AuditEventType.IMPORT_UPLOADED: _("上传导入文件"),
    AuditEventType.IMPORT_APPLIED: _("执行数据导入"),
    AuditEventType.IMPORT_UNDONE: _("撤销数据导入"),
    AuditEventType.IMPORT_DISCARDED: _("放弃数据导入"),
    AuditEventType.IMPORT_FILES_DELETED: _("删除过期导入原文件"),
    AuditEventType.REGISTRY_EXPORTED: _("导出一标三实数据"),
    AuditEventType.ACCESS_LOG_EXPORTED: _("导出个人信息访问记录"),
    AuditEventType.NOTICE_READ: _("阅读通知"),
    AuditEventType.CASE_MATTER_TAGGED: _("事件关联重大事项"),
    AuditEventType.RISK_KIND_SET: _("设置重大事项类别"),
    AuditEventType.RISK_RULE_PUBLISHED: _("发布风险等级评定规则"),
    AuditEventType.MATTER_REGISTERED: _("登记重大事项"),
    AuditEventType.MATTER_CHANGED: _("修改重大事项"),
    AuditEventType.MATTER_EXEMPTION_REQUESTED: _("申请免予评估"),
    AuditEventType.MATTER_EXEMPTION_DECIDED: _("审批免予评估"),
    AuditEventType.MATTER_WITHDRAWN: _("撤销重大事项"),
    AuditEventType.MATTER_DECIDED: _("记录决策"),
    AuditEventType.MATTER_IMPLEMENTED: _("标记实施"),
    AuditEventType.MATTER_REASSESSMENT_SUGGESTED: _("建议重新评估"),
    AuditEventType.ASSESSMENT_STARTED: _("启动风险评估"),
    AuditEventType.ASSESSMENT_CHANGED: _("修改风险评估内容"),
    AuditEventType.ASSESSMENT_RATED: _("评定风险等级"),
    AuditEventType.ASSESSMENT_REPORTED: _("报送评估报告"),
    AuditEventType.HEARING_CREATED: _("拟定听证会"),
    AuditEventType.HEARING_CHANGED: _("修改听证会"),
    AuditEventType.HEARING_NOTICED: _("发布听证公告"),
    AuditEventType.HEARING_REGISTERED: _("听证报名"),
    AuditEventType.HEARING_REGISTRATION_WITHDRAWN: _("撤回听证报名"),
    AuditEventType.HEARING_REGISTRATION_CLOSED: _("截止听证报名"),
    AuditEventType.HEARING_DRAWN: _("听证抽签"),
    AuditEventType.HEARING_COMMENTED: _("提交草案意见"),
    AuditEventType.HEARING_COMMENT_DISPOSED: _("答复草案意见"),
    AuditEventType.HEARING_HELD: _("举行听证会"),
    AuditEventType.HEARING_MINUTES_SIGNED: _("听证笔录签字"),
    AuditEventType.HEARING_PUBLISHED: _("公布听证笔录与意见处理"),
    AuditEventType.HEARING_PARTICULAR_REVEALED: _("查看听证报名人联系电话"),
    AuditEventType.SURVEY_ROUND_CREATED: _("创建安全感调查"),
    AuditEventType.SURVEY_ROUND_CHANGED: _("修改安全感调查方案"),
    AuditEventType.SURVEY_FRAME_FROZEN: _("冻结抽样框"),
    AuditEventType.SURVEY_SAMPLE_DRAWN: _("抽取调查样本"),
    AuditEventType.SURVEY_UNITS_ASSIGNED: _("分派调查样本"),
    AuditEventType.SURVEY_FIELDWORK_OPENED: _("开始调查实施"),
    AuditEventType.SURVEY_CALL_RECORDED: _("记录拨打/走访结果"),
    AuditEventType.SURVEY_INTERVIEW_RECORDED: _("录入调查问卷"),
    AuditEventType.SURVEY_RESERVE_RELEASED: _("启用备用样本"),
    AuditEventType.SURVEY_CONTACT_REVEALED: _("查看调查样本联系方式"),
    AuditEventType.SURVEY_WEB_LINKS_ISSUED: _("生成网络填答链接"),
    AuditEventType.SURVEY_ROUND_CLOSED: _("结束安全感调查"),
    AuditEventType.SURVEY_ROUND_CANCELLED: _("撤销安全感调查"),
    AuditEventType.DEMO_SEEDED: _("生成演示数据"),
}


def event_label(value: str) -> str:
    """The label of a stored event type in the active language; a value no longer in the
    enum (an older row) is shown as stored."""
    try:
        return str(LABELS[AuditEventType(value)])
    except (ValueError, KeyError):
        return value


def case_transition_event(name: str) -> AuditEventType:
    """The audit type of a workflow transition (`case.<name>`)."""
    return AuditEventType(f"case.{name}")
