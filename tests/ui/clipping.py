"""Find text a person cannot read whole on screen: elided or clipped, or a literal mnemonic.

:func:`clipped_texts` walks the visible widgets under a window and compares the
width each text needs (``fontMetrics().horizontalAdvance``) with the width the
widget gives it: labels, buttons, check boxes, group titles, tabs, combo boxes,
column headers and the table cells on screen. A text may be shorter on screen
only where a tooltip carries it whole. A label, header or cell whose text shows
an ``&`` right before a letter ("&First name") shows a mnemonic literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QTabBar,
    QToolButton,
    QWidget,
)

from mic_desktop.ui.common.table import BADGE_ROLE, BadgeDelegate

LITERAL_MNEMONIC = re.compile(r"(?<!&)&[A-Za-z]")
SLACK = 1  # px: rounding of fractional advances
# resources/style.qss pads cells and header sections by 8 px a side; the style adds
# its text margin (3 px a side for cells, 4 for headers). Header text is semi-bold.
CELL_PADDING = 2 * (8 + 3)
HEADER_PADDING = 2 * (8 + 4)
MAX_ROWS = 40  # cells checked per view: the rows a person sees first


@dataclass(frozen=True)
class Finding:
    where: str  # the window or dialog, the widget's class and object name
    text: str
    needs: int
    gets: int
    why: str = "clipped"

    def __str__(self) -> str:
        if self.why == "mnemonic":
            return f"{self.where}: literal '&' in {self.text!r}"
        return f"{self.where}: {self.text!r} needs {self.needs} px, gets {self.gets} px"


def visible_text(text: str) -> str:
    """A button's or tab's text as drawn: a single ``&`` marks the shortcut, ``&&`` is one."""
    return re.sub(r"&(.)", r"\1", text)


def _name(widget: QWidget, context: str) -> str:
    name = widget.objectName() or ""
    return f"{context} › {type(widget).__name__}" + (f"#{name}" if name else "")


def _tooltip_carries(tooltip: str, text: str) -> bool:
    plain = " ".join(text.split())
    return bool(plain) and plain in " ".join(tooltip.split())


def _advance(metrics: QFontMetrics, text: str) -> int:
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _really_visible(widget: QWidget) -> bool:
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    return not widget.visibleRegion().isEmpty()


def _label(label: QLabel, context: str) -> list[Finding]:
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    where = _name(label, context)
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    findings = []
    if not rich and label.buddy() is None and LITERAL_MNEMONIC.search(text):
        findings.append(Finding(where, text, 0, 0, "mnemonic"))
    if label.buddy() is not None:
        text = visible_text(text)
    if _tooltip_carries(label.toolTip(), text if not rich else _plain(text)):
        return findings
    room = label.contentsRect()
    margin = label.margin() * 2 + max(0, label.indent())
    width, height = room.width() - margin, room.height() - label.margin() * 2
    if label.wordWrap() or rich:
        document = QTextDocument()
        document.setDefaultFont(label.font())
        if rich:
            document.setHtml(text)
        else:
            document.setPlainText(text)
        document.setDocumentMargin(0)
        document.setTextWidth(max(1, width))
        needs_w = int(document.idealWidth())
        needs_h = int(document.size().height())
        if needs_h > height + 2:
            findings.append(Finding(where, _plain(text), needs_h, height, "cut at the bottom"))
        elif needs_w > width + SLACK and not label.wordWrap():
            findings.append(Finding(where, _plain(text), needs_w, width))
        return findings
    needs = _advance(label.fontMetrics(), text)
    if needs > width + SLACK:
        findings.append(Finding(where, text, needs, width))
    return findings


def _plain(html: str) -> str:
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def _button(button: QAbstractButton, context: str) -> list[Finding]:
    text = visible_text(button.text())
    if not text.strip() or _tooltip_carries(button.toolTip(), text):
        return []
    metrics = button.fontMetrics()
    needs = _advance(metrics, text)
    icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
    style = button.style()
    if isinstance(button, QPushButton):
        option = QStyleOptionButton()
        button.initStyleOption(option)
        room = style.subElementRect(QStyle.SubElement.SE_PushButtonContents, option, button)
        gets = room.width() - icon
    elif isinstance(button, QCheckBox | QRadioButton):
        option = QStyleOptionButton()
        button.initStyleOption(option)
        element = (
            QStyle.SubElement.SE_CheckBoxContents
            if isinstance(button, QCheckBox)
            else QStyle.SubElement.SE_RadioButtonContents
        )
        room = style.subElementRect(element, option, button)
        gets = room.width() - icon
    elif isinstance(button, QToolButton):
        if button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly:
            return []
        beside = button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        gets = button.width() - 8 - (icon if beside else 0)
    else:
        gets = button.width() - 8 - icon
    if needs > gets + SLACK:
        return [Finding(_name(button, context), text, needs, gets)]
    return []


def _group(box: QGroupBox, context: str) -> list[Finding]:
    text = visible_text(box.title())
    if not text:
        return []
    needs = _advance(box.fontMetrics(), text) + (20 if box.isCheckable() else 0)
    gets = box.width() - 16
    if needs > gets + SLACK:
        return [Finding(_name(box, context), text, needs, gets)]
    return []


def _tabs(bar: QTabBar, context: str) -> list[Finding]:
    findings = []
    visible = bar.rect()
    for index in range(bar.count()):
        if not bar.isTabVisible(index):
            continue
        text = visible_text(bar.tabText(index))
        if _tooltip_carries(bar.tabToolTip(index), text):
            continue
        rect = bar.tabRect(index)
        needs = _advance(bar.fontMetrics(), text)
        icon = bar.iconSize().width() + 4 if not bar.tabIcon(index).isNull() else 0
        gets = rect.width() - 12 - icon
        where = f"{_name(bar, context)} tab {index}"
        if needs > gets + SLACK:
            findings.append(Finding(where, text, needs, gets))
        elif not visible.contains(rect):
            findings.append(Finding(where, text, rect.width(), visible.intersected(rect).width()))
    return findings


def _combo(combo: QComboBox, context: str) -> list[Finding]:
    text = combo.currentText()
    if not text or combo.isEditable() or _tooltip_carries(combo.toolTip(), text):
        return []
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    icon = combo.iconSize().width() + 4 if not combo.itemIcon(combo.currentIndex()).isNull() else 0
    needs = _advance(combo.fontMetrics(), text)
    gets = field.width() - 4 - icon
    if needs > gets + SLACK:
        return [Finding(_name(combo, context), text, needs, gets)]
    return []


def _header(header: QHeaderView, context: str) -> list[Finding]:
    model = header.model()
    if model is None or not header.isVisible():
        return []
    findings = []
    font = header.font()
    font.setWeight(QFont.Weight.DemiBold)
    metrics = QFontMetrics(font)
    shown = header.rect()
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        text = model.headerData(section, header.orientation(), Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text:
            continue
        where = f"{_name(header, context)} column {section}"
        if LITERAL_MNEMONIC.search(text):
            findings.append(Finding(where, text, 0, 0, "mnemonic"))
        tip = model.headerData(section, header.orientation(), Qt.ItemDataRole.ToolTipRole)
        if isinstance(tip, str) and _tooltip_carries(tip, text):
            continue
        left = header.sectionViewportPosition(section)
        size = header.sectionSize(section)
        if left >= shown.width() or left + size <= 0:
            continue
        sort = 14 if header.isSortIndicatorShown() else 0
        gets = size - HEADER_PADDING - sort
        needs = _advance(metrics, text)
        if needs > gets + SLACK:
            findings.append(Finding(where, text, needs, gets))
    return findings


def _cells(view: QAbstractItemView, context: str) -> list[Finding]:
    model = view.model()
    header = getattr(view, "horizontalHeader", lambda: None)()
    if model is None or header is None:
        return []
    findings = []
    viewport = view.viewport().rect()
    metrics = view.fontMetrics()
    for row in range(min(model.rowCount(), MAX_ROWS)):
        for column in range(model.columnCount()):
            if header.isSectionHidden(column):
                continue
            index = model.index(row, column)
            rect: QRect = view.visualRect(index)
            if not rect.isValid() or not viewport.intersects(rect):
                continue
            findings += _cell(view, index, rect, metrics, context)
    return findings


def _cell(
    view: QAbstractItemView, index: QModelIndex, rect: QRect, metrics: QFontMetrics, context: str
) -> list[Finding]:
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not isinstance(text, str) or not text:
        return []
    where = f"{_name(view, context)} cell ({index.row()}, {index.column()})"
    findings = []
    if LITERAL_MNEMONIC.search(text):
        findings.append(Finding(where, text, 0, 0, "mnemonic"))
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    if isinstance(tip, str) and _tooltip_carries(tip, text):
        return findings
    icon = 0
    if index.data(Qt.ItemDataRole.DecorationRole) is not None:
        size = view.iconSize().width()
        icon = (size if size > 0 else 16) + 4
    right = min(rect.right(), view.viewport().rect().right())
    delegate = view.itemDelegateForIndex(index)
    if isinstance(delegate, BadgeDelegate) and index.data(BADGE_ROLE):
        font = QFont(view.font())  # as BadgeDelegate.paint draws it
        font.setPointSizeF(font.pointSizeF() * 0.92)
        font.setWeight(QFont.Weight.DemiBold)
        needs = QFontMetrics(font).horizontalAdvance(text) + 2 * delegate.PAD_X
        gets = right - rect.left() - 12
    else:
        needs = _advance(metrics, text)
        gets = right - rect.left() - CELL_PADDING - icon
    if needs > gets + SLACK:
        findings.append(Finding(where, text, needs, gets))
    return findings


def clipped_texts(root: QWidget, context: str) -> list[Finding]:
    """Every clipped or elided text, and literal mnemonic, under ``root`` as shown now."""
    findings: list[Finding] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not _really_visible(widget):
            continue
        if isinstance(widget, QLabel):
            findings += _label(widget, context)
        elif isinstance(widget, QAbstractButton):
            if not isinstance(widget.parent(), QTabBar):  # a tab bar's scroll arrows
                findings += _button(widget, context)
        elif isinstance(widget, QGroupBox):
            findings += _group(widget, context)
        elif isinstance(widget, QTabBar):
            findings += _tabs(widget, context)
        elif isinstance(widget, QComboBox):
            findings += _combo(widget, context)
        elif isinstance(widget, QHeaderView):
            findings += _header(widget, context)
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
            findings += _cells(widget, context)
    title = root.windowTitle() if root.isWindow() else ""
    if title and LITERAL_MNEMONIC.search(title):
        findings.append(Finding(context, title, 0, 0, "mnemonic"))
    return findings
