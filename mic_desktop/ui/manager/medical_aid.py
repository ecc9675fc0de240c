"""Medical aids: schemes and their plans on the left, the chosen plan's coverage rules beside.

A coverage rule says what a plan pays for one scan type: a percentage of the price,
an optional cap, and whether pre-authorisation is needed; validation messages sit
beside the fields of the rule's dialog. Changes from another desk
("mic_medical_aid") reload the page.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.admin.catalogue import FacilityAdminService, ScanTypeInfo
from mic_desktop.services.admin.medical_aid import (
    CoverageRuleInfo,
    MedicalAidAdminService,
    PlanInfo,
    RuleDraft,
    SchemeDraft,
    SchemeInfo,
)
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_money
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import RIGHT, Column, RowTableModel, make_table_view
from mic_desktop.ui.common.tasks import run_task

from .forms import FormDialog, Notice


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f} %"


class SchemeDialog(FormDialog):
    def __init__(
        self,
        service: MedicalAidAdminService,
        scheme: SchemeInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Edit {scheme.name}" if scheme else "Add a medical aid", "Save", parent)
        self._service = service
        self.scheme = scheme
        self.name = self.form.add_field("name", "Name", QLineEdit(scheme.name if scheme else ""))
        self.code = self.form.add_field(
            "code", "Code", QLineEdit(scheme.code if scheme else ""), "Short, e.g. CIMAS."
        )
        self.phone = self.form.add_field(
            "claims_phone", "Claims phone", QLineEdit(scheme.claims_phone or "" if scheme else "")
        )
        self.email = self.form.add_field(
            "claims_email", "Claims e-mail", QLineEdit(scheme.claims_email or "" if scheme else "")
        )
        self.active = QCheckBox("Accepted at the clinic")
        self.active.setChecked(scheme.is_active if scheme else True)
        self.form.addRow("", self.active)

    def submit(self) -> None:
        draft = SchemeDraft(
            name=self.name.text(),
            code=self.code.text().strip().upper(),
            claims_phone=self.phone.text().strip() or None,
            claims_email=self.email.text().strip() or None,
            is_active=self.active.isChecked(),
        )
        service, scheme = self._service, self.scheme
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> object:
            if scheme is None:
                return service.add_scheme(draft)
            return service.update_scheme(scheme.id, draft)

        run_task(work, lambda _r: self.accept(), self.failed, receiver=self)


class PlanDialog(FormDialog):
    def __init__(
        self,
        service: MedicalAidAdminService,
        scheme: SchemeInfo,
        plan: PlanInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Edit the plan {plan.name}" if plan else f"Add a plan to {scheme.name}", "Save", parent
        )
        self._service = service
        self.scheme, self.plan = scheme, plan
        self.name = self.form.add_field("name", "Plan name", QLineEdit(plan.name if plan else ""))
        self.default = self.form.add_field(
            "default_coverage_percent",
            "Default cover",
            QLineEdit(f"{plan.default_coverage_percent.normalize():f}" if plan else "0"),
            "Percent of the price paid for scan types without their own rule.",
        )
        self.active = QCheckBox("Accepted at the clinic")
        self.active.setChecked(plan.is_active if plan else True)
        self.form.addRow("", self.active)

    def submit(self) -> None:
        service, scheme, plan = self._service, self.scheme, self.plan
        name, percent, active = self.name.text(), self.default.text(), self.active.isChecked()
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> PlanInfo:
            if plan is None:
                return service.add_plan(scheme.id, name, percent)
            return service.update_plan(
                plan.id,
                name=name,
                default_coverage_percent=percent,
                is_active=active,
                expected_version=plan.version,
            )

        run_task(work, lambda _r: self.accept(), self.failed, receiver=self)


class RuleDialog(FormDialog):
    def __init__(
        self,
        service: MedicalAidAdminService,
        plan: PlanInfo,
        scan_types: list[ScanTypeInfo],
        rule: CoverageRuleInfo | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Coverage of {rule.scan_type}" if rule else f"Add a coverage rule to {plan.name}",
            "Save rule",
            parent,
        )
        self._service = service
        self.plan, self.rule = plan, rule
        self.scan_type = QComboBox()
        covered = {r.scan_type_id for r in plan.rules}
        for scan in scan_types:
            if rule is not None or scan.id not in covered:
                self.scan_type.addItem(f"{scan.code} — {scan.name}", scan.id)
        if rule is not None:
            self.scan_type.setCurrentIndex(max(0, self.scan_type.findData(rule.scan_type_id)))
            self.scan_type.setEnabled(False)
        self.form.add_field("scan_type", "Scan type", self.scan_type)
        self.percent = self.form.add_field(
            "coverage_percent",
            "Covers",
            QLineEdit(f"{rule.coverage_percent.normalize():f}" if rule else ""),
            "Percent of the price, 0 to 100.",
        )
        cap = "" if rule is None or rule.cap_amount is None else f"{rule.cap_amount:.2f}"
        self.cap = self.form.add_field(
            "cap_amount", "Up to", QLineEdit(cap), "The most it pays; leave empty for no cap."
        )
        self.preauth = QCheckBox("Needs pre-authorisation")
        self.preauth.setChecked(bool(rule and rule.requires_preauthorisation))
        self.form.addRow("", self.preauth)

    def submit(self) -> None:
        scan_id = self.scan_type.currentData()
        draft = RuleDraft(
            scan_type_id=scan_id if scan_id is not None else 0,
            coverage_percent=self.percent.text(),
            cap_amount=self.cap.text().strip() or None,
            requires_preauthorisation=self.preauth.isChecked(),
        )
        service, plan, rule = self._service, self.plan, self.rule
        self.set_busy(True)
        self.form.clear_errors()

        def work() -> PlanInfo:
            if rule is None:
                return service.add_rule(plan.id, draft, expected_version=plan.version)
            return service.update_rule(rule.id, draft, expected_version=plan.version)

        run_task(work, lambda _r: self.accept(), self.failed, receiver=self)


class MedicalAidPage(QWidget):
    def __init__(
        self,
        service: MedicalAidAdminService,
        facilities: FacilityAdminService,
        currency: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._facilities = facilities
        self._currency = currency
        self.schemes: list[SchemeInfo] = []
        self.scan_types: list[ScanTypeInfo] = []
        self.dialog: FormDialog | None = None
        self._keep: tuple[str, int] | None = None
        title = QLabel("Medical aids")
        title.setProperty("role", "page-title")
        subtitle = QLabel(
            "Schemes, their plans, and what each plan pays per scan type. Reception sees "
            "the cover and the patient's co-payment before confirming a booking."
        )
        subtitle.setProperty("role", "muted")
        subtitle.setWordWrap(True)
        self.notice = Notice()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Medical aid / plan", "Default cover"])
        self.tree.setColumnWidth(0, 300)
        self.tree.setMinimumWidth(360)
        self.tree.currentItemChanged.connect(lambda *_a: self._selection_changed())
        self.add_scheme_button = QPushButton(icon("mdi6.plus"), "Add medical aid…")
        self.edit_scheme_button = QPushButton(icon("mdi6.pencil-outline"), "Edit…")
        self.add_plan_button = QPushButton(icon("mdi6.plus-box-multiple-outline"), "Add plan…")
        self.add_scheme_button.clicked.connect(self.add_scheme)
        self.edit_scheme_button.clicked.connect(self.edit_selected)
        self.add_plan_button.clicked.connect(self.add_plan)
        left_buttons = QHBoxLayout()
        for button in (self.add_scheme_button, self.edit_scheme_button, self.add_plan_button):
            left_buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addLayout(left_buttons)
        left_layout.addWidget(self.tree, 1)

        self.rules_title = QLabel("Coverage rules")
        self.rules_title.setProperty("role", "section-title")
        self.rules_hint = QLabel("Select a plan to see what it pays per scan type.")
        self.rules_hint.setProperty("role", "muted")
        self.rules_hint.setWordWrap(True)
        self.rules_model = RowTableModel(
            [
                Column(
                    "Scan type", lambda r: r.scan_type, tooltip=lambda r: r.scan_type, width=230
                ),
                Column("Covers", lambda r: percent_text(r.coverage_percent), align=RIGHT, width=90),
                Column(
                    "Up to",
                    lambda r: (
                        format_money(r.cap_amount, currency)
                        if r.cap_amount is not None
                        else "no cap"
                    ),
                    align=RIGHT,
                    width=130,
                ),
                Column(
                    "Pre-authorisation",
                    lambda r: "needed" if r.requires_preauthorisation else "",
                    width=140,
                ),
            ],
            parent=self,
        )
        self.rules_view = make_table_view(self)
        self.rules_view.setSortingEnabled(False)
        self.rules_view.setModel(self.rules_model)
        for number, width in enumerate((230, 90, 130, 140)):
            self.rules_view.setColumnWidth(number, width)
        self.rules_view.selectionModel().selectionChanged.connect(
            lambda *_a: self._rule_selection_changed()
        )
        self.rules_view.doubleClicked.connect(lambda _i: self.edit_rule())
        self.add_rule_button = QPushButton(icon("mdi6.plus"), "Add rule…")
        self.edit_rule_button = QPushButton(icon("mdi6.pencil-outline"), "Edit rule…")
        self.remove_rule_button = QPushButton(icon("mdi6.delete-outline"), "Remove rule")
        self.add_rule_button.clicked.connect(self.add_rule)
        self.edit_rule_button.clicked.connect(self.edit_rule)
        self.remove_rule_button.clicked.connect(self.remove_rule)
        rule_buttons = QHBoxLayout()
        rule_buttons.addWidget(self.rules_title, 1)
        for button in (self.add_rule_button, self.edit_rule_button, self.remove_rule_button):
            rule_buttons.addWidget(button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addLayout(rule_buttons)
        right_layout.addWidget(self.rules_hint)
        right_layout.addWidget(self.rules_view, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        self._selection_changed()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        service, facilities = self._service, self._facilities
        run_task(
            lambda: (service.schemes(), facilities.scan_types(include_inactive=False)),
            lambda loaded: self._loaded(*loaded),
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )

    def _loaded(self, schemes: list[SchemeInfo], scan_types: list[ScanTypeInfo]) -> None:
        keep = self._keep or self._selected_key()
        self._keep = None
        self.schemes, self.scan_types = schemes, scan_types
        self.tree.blockSignals(True)
        self.tree.clear()
        chosen: QTreeWidgetItem | None = None
        for scheme in schemes:
            label = scheme.name if scheme.is_active else f"{scheme.name} (not accepted)"
            top = QTreeWidgetItem([f"{label} · {scheme.code}", ""])
            top.setData(0, Qt.ItemDataRole.UserRole, ("scheme", scheme.id))
            top.setIcon(0, icon("mdi6.shield-plus-outline"))
            self.tree.addTopLevelItem(top)
            if keep == ("scheme", scheme.id):
                chosen = top
            for plan in scheme.plans:
                name = plan.name if plan.is_active else f"{plan.name} (not accepted)"
                item = QTreeWidgetItem([name, percent_text(plan.default_coverage_percent)])
                item.setData(0, Qt.ItemDataRole.UserRole, ("plan", plan.id))
                item.setTextAlignment(1, RIGHT)
                top.addChild(item)
                if keep == ("plan", plan.id):
                    chosen = item
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if not schemes:
            self.rules_hint.setText(
                "No medical aids yet: add the schemes the clinic accepts with “Add medical aid…”."
            )
        if chosen is None and keep is None and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            chosen = first.child(0) if first.childCount() else first
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self._selection_changed()

    def live_changed(self) -> None:
        self.refresh()

    # -- selection -------------------------------------------------------------------------

    def _selected_key(self) -> tuple[str, int] | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, kind: str, record_id: int) -> None:
        for top in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(top)
            for candidate in (item, *(item.child(i) for i in range(item.childCount()))):
                if candidate.data(0, Qt.ItemDataRole.UserRole) == (kind, record_id):
                    self.tree.setCurrentItem(candidate)
                    return

    def selected_scheme(self) -> SchemeInfo | None:
        key = self._selected_key()
        if key is None:
            return None
        for scheme in self.schemes:
            if key == ("scheme", scheme.id) or any(key == ("plan", p.id) for p in scheme.plans):
                return scheme
        return None

    def selected_plan(self) -> PlanInfo | None:
        key = self._selected_key()
        for scheme in self.schemes:
            for plan in scheme.plans:
                if key == ("plan", plan.id):
                    return plan
        return None

    def selected_rule(self) -> CoverageRuleInfo | None:
        indexes = self.rules_view.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.rules_model.row_at(indexes[0].row())

    def _selection_changed(self) -> None:
        scheme, plan = self.selected_scheme(), self.selected_plan()
        self.edit_scheme_button.setEnabled(scheme is not None)
        self.add_plan_button.setEnabled(scheme is not None)
        self.add_rule_button.setEnabled(plan is not None)
        if plan is None:
            self.rules_model.set_rows([])
            if self.schemes:
                self.rules_hint.setText("Select a plan to see what it pays per scan type.")
        else:
            self.rules_model.set_rows(plan.rules)
            default = percent_text(plan.default_coverage_percent)
            self.rules_hint.setText(
                f"{scheme.name if scheme else ''} {plan.name}: scan types without a rule are "
                f"covered at {default}."
                + ("" if plan.rules else " No scan type has its own rule yet.")
            )
        self._rule_selection_changed()

    def _rule_selection_changed(self) -> None:
        has_rule = self.selected_rule() is not None
        self.edit_rule_button.setEnabled(has_rule)
        self.remove_rule_button.setEnabled(has_rule)

    # -- actions ---------------------------------------------------------------------------

    def _open(
        self, dialog: FormDialog, text: Callable[[], str], keep: tuple[str, int] | None
    ) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._changed(text(), keep))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _changed(self, text: str, keep: tuple[str, int] | None) -> None:
        self.notice.success(text)
        self._keep = keep
        self.refresh()

    def add_scheme(self) -> None:
        dialog = SchemeDialog(self._service, None, self)
        self._open(
            dialog, lambda: f"{dialog.name.text().strip()} was added; add its plans next.", None
        )

    def edit_selected(self) -> None:
        scheme, plan = self.selected_scheme(), self.selected_plan()
        if plan is not None and scheme is not None:
            dialog: FormDialog = PlanDialog(self._service, scheme, plan, self)
            self._open(dialog, lambda: f"The plan {plan.name} was saved.", ("plan", plan.id))
        elif scheme is not None:
            dialog = SchemeDialog(self._service, scheme, self)
            self._open(dialog, lambda: f"{scheme.name} was saved.", ("scheme", scheme.id))

    def add_plan(self) -> None:
        scheme = self.selected_scheme()
        if scheme is not None:
            dialog = PlanDialog(self._service, scheme, None, self)
            self._open(
                dialog,
                lambda: f"The plan {dialog.name.text().strip()} was added.",
                ("scheme", scheme.id),
            )

    def add_rule(self) -> None:
        plan = self.selected_plan()
        if plan is not None:
            dialog = RuleDialog(self._service, plan, self.scan_types, None, self)
            self._open(
                dialog,
                lambda: f"{plan.name} now has a rule for {dialog.scan_type.currentText()}.",
                ("plan", plan.id),
            )

    def edit_rule(self) -> None:
        plan, rule = self.selected_plan(), self.selected_rule()
        if plan is not None and rule is not None:
            dialog = RuleDialog(self._service, plan, self.scan_types, rule, self)
            self._open(
                dialog, lambda: f"The rule for {rule.scan_type} was saved.", ("plan", plan.id)
            )

    def remove_rule(self) -> None:
        plan, rule = self.selected_plan(), self.selected_rule()
        if plan is None or rule is None:
            return
        service = self._service
        self.remove_rule_button.setEnabled(False)
        run_task(
            lambda: service.remove_rule(rule.id, expected_version=plan.version),
            lambda _r: self._changed(
                f"The rule for {rule.scan_type} was removed; it now gets the plan's default cover.",
                ("plan", plan.id),
            ),
            lambda error: self.notice.error(describe_error(error)),
            receiver=self,
        )
