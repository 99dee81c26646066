import Foundation

extension OutboundMessage {
    /// This message repaired into messages Meta accepts: every one passes `validate()`.
    ///
    /// A valid message comes back unchanged, alone. Otherwise, keeping as much meaning as it can:
    /// - over-long titles, labels, headers, footers and descriptions are shortened on a word boundary
    ///   and end with "…"; a list row whose title had to be shortened keeps the full title as its
    ///   description when it has none; over-long ids are cut;
    /// - over-long text is split into several text messages at paragraph, line, sentence or word
    ///   boundaries; an over-long interactive body or image caption sends its beginning as text
    ///   messages first (caption: after the image) and keeps the end on the interactive message;
    /// - more than three reply buttons become a list; more than ten list rows become several lists
    ///   of at most ten (every row is kept); untitled sections among several join their neighbour;
    /// - repeated button ids, button titles and row ids get a suffix (`-2`, ` 2`);
    /// - required text that is blank is taken from a neighbour (a button's title from its id, a
    ///   body from the header, a CTA label from the URL's host) or becomes "…";
    /// - an interactive message with no buttons or rows, or a CTA or image with an unusable URL,
    ///   becomes text; a message with nothing to say (blank text, blank recipient) gives `[]`.
    ///
    /// `replyTo` stays on the first message only.
    public func fitted() -> [OutboundMessage] {
        if limitErrors().isEmpty { return [self] }
        guard !to.isBlank else { return [] }
        let kinds: [Kind] = switch kind {
        case .text(let body, let previewURL):
            Fitting.text(body, previewURL: previewURL)
        case .replyButtons(let body, let buttons, let header, let footer):
            Fitting.replyButtons(body: body, buttons: buttons, header: header, footer: footer)
        case .list(let body, let buttonText, let sections, let header, let footer):
            Fitting.list(body: body, buttonText: buttonText, sections: sections, header: header, footer: footer)
        case .ctaURL(let body, let displayText, let url, let headerImageURL, let footer):
            Fitting.ctaURL(body: body, displayText: displayText, url: url, headerImageURL: headerImageURL, footer: footer)
        case .image(let link, let caption):
            Fitting.image(link: link, caption: caption)
        }
        let replyTo = replyTo.flatMap { $0.isBlank ? nil : $0 }
        return kinds.enumerated().map { index, kind in
            OutboundMessage(to: to, kind: kind, replyTo: index == 0 ? replyTo : nil, callbackData: callbackData)
        }
    }

    /// The message to put on the wire: itself when valid, else its repair when `fitted()` makes it
    /// exactly one message. Throws the first limit it breaks when the repair would need several
    /// messages (or none): call `fitted()` and send each part yourself.
    public func preparedForSending() throws(OutboundLimitError) -> OutboundMessage {
        do {
            try validate()
            return self
        } catch {
            let repaired = fitted()
            if repaired.count == 1 { return repaired[0] }
            throw error
        }
    }
}

/// The repairs `fitted()` makes, one function per kind.
private enum Fitting {
    typealias Kind = OutboundMessage.Kind
    typealias Limits = OutboundLimits

    static func text(_ body: String, previewURL: Bool) -> [Kind] {
        TextFitting.split(body, limit: Limits.textBody).map { .text(body: $0, previewURL: previewURL) }
    }

    static func replyButtons(body: String, buttons: [OutboundMessage.ReplyButton], header: String?, footer: String?) -> [Kind] {
        let named = buttons.compactMap { button -> (id: String, title: String)? in
            idAndTitle(id: button.id, title: button.title)
        }
        if named.isEmpty {
            return text(TextFitting.paragraphs(header, body, footer), previewURL: false)
        }
        if named.count > Limits.replyButtons {
            let rows = named.map { OutboundMessage.ListRow(id: $0.id, title: $0.title) }
            return list(body: body, buttonText: "", sections: [.init(rows: rows)], header: header, footer: footer)
        }
        let ids = TextFitting.uniqued(named.map { TextFitting.clipped($0.id, limit: Limits.buttonID) },
                                      limit: Limits.buttonID, separator: "-")
        let titles = TextFitting.uniqued(named.map { TextFitting.truncated($0.title, limit: Limits.buttonTitle) },
                                         limit: Limits.buttonTitle, separator: " ")
        let fittedButtons = zip(ids, titles).map { OutboundMessage.ReplyButton(id: $0, title: $1) }
        let parts = Parts(body: body, header: header, footer: footer, bodyLimit: Limits.interactiveBody)
        return parts.lead + [.replyButtons(body: parts.body, buttons: fittedButtons, header: parts.header, footer: parts.footer)]
    }

    static func list(body: String, buttonText: String, sections: [OutboundMessage.ListSection], header: String?, footer: String?) -> [Kind] {
        var groups: [OutboundMessage.ListSection] = sections.compactMap { section in
            let rows = section.rows.compactMap(row)
            if rows.isEmpty { return nil }
            return .init(title: optional(section.title, limit: Limits.sectionTitle), rows: rows)
        }
        if groups.isEmpty {
            return text(TextFitting.paragraphs(header, body, footer), previewURL: false)
        }
        // Meta needs a title on every section once there are several: untitled ones join a neighbour.
        if groups.count > 1, groups.contains(where: { $0.title == nil }) {
            var merged: [OutboundMessage.ListSection] = []
            for group in groups {
                if group.title == nil, !merged.isEmpty {
                    merged[merged.count - 1].rows += group.rows
                } else {
                    merged.append(group)
                }
            }
            if merged.count > 1, merged[0].title == nil {
                merged[1].rows = merged[0].rows + merged[1].rows
                merged.removeFirst()
            }
            groups = merged
        }
        // Row ids unique over the whole list, so a pick on any page names one row.
        var ids = TextFitting.uniqued(groups.flatMap { $0.rows.map(\.id) }, limit: Limits.rowID, separator: "-")[...]
        for g in groups.indices {
            for r in groups[g].rows.indices { groups[g].rows[r].id = ids.removeFirst() }
        }
        // Pages of at most ten rows; a section cut by a page break keeps its title on both pages.
        let flat = groups.indices.flatMap { g in groups[g].rows.map { (section: g, row: $0) } }
        let pages = stride(from: 0, to: flat.count, by: Limits.listRows).map { start in
            flat[start..<min(start + Limits.listRows, flat.count)]
        }
        let parts = Parts(body: body, header: header, footer: footer, bodyLimit: Limits.listBody)
        let label = buttonText.isBlank ? TextFitting.ellipsis : TextFitting.truncated(buttonText, limit: Limits.listButtonText)
        return parts.lead + pages.map { page in
            var pageSections: [OutboundMessage.ListSection] = []
            var lastSection: Int?
            for entry in page {
                if entry.section == lastSection {
                    pageSections[pageSections.count - 1].rows.append(entry.row)
                } else {
                    pageSections.append(.init(title: groups[entry.section].title, rows: [entry.row]))
                    lastSection = entry.section
                }
            }
            return .list(body: parts.body, buttonText: label, sections: pageSections, header: parts.header, footer: parts.footer)
        }
    }

    static func ctaURL(body: String, displayText: String, url: String, headerImageURL: String?, footer: String?) -> [Kind] {
        let link = url.trimmingWhitespace()
        guard link.isHTTPURL else {
            return text(TextFitting.paragraphs(body, link, footer), previewURL: false)
        }
        let label: String
        if !displayText.isBlank {
            label = TextFitting.truncated(displayText, limit: Limits.ctaDisplayText)
        } else if let host = URL(string: link)?.host, !host.isEmpty {
            label = TextFitting.truncated(host, limit: Limits.ctaDisplayText)
        } else {
            label = TextFitting.ellipsis
        }
        let image = headerImageURL.map { $0.trimmingWhitespace() }.flatMap { $0.isHTTPURL ? $0 : nil }
        let parts = Parts(body: body, header: nil, footer: footer, bodyLimit: Limits.interactiveBody)
        return parts.lead + [.ctaURL(body: parts.body, displayText: label, url: link, headerImageURL: image, footer: parts.footer)]
    }

    static func image(link: String, caption: String?) -> [Kind] {
        let link = link.trimmingWhitespace()
        guard link.isHTTPURL else { return text(caption ?? "", previewURL: false) }
        guard let caption, !caption.isBlank else { return [.image(link: link, caption: nil)] }
        if caption.metaLength <= Limits.mediaCaption { return [.image(link: link, caption: caption)] }
        // The caption's beginning stays on the image; the rest follows as text.
        let first = TextFitting.split(caption, limit: Limits.mediaCaption)[0]
        let rest = String(caption.trimmingWhitespace().dropFirst(first.count))
        return [.image(link: link, caption: first)] + text(rest, previewURL: false)
    }

    /// A button or row's id and title, each standing in for the other when blank; nil when both are.
    private static func idAndTitle(id: String, title: String) -> (id: String, title: String)? {
        let id = id.trimmingWhitespace()
        let title = title.trimmingWhitespace()
        if id.isEmpty && title.isEmpty { return nil }
        return (id.isEmpty ? title : id, title.isEmpty ? id : title)
    }

    private static func row(_ row: OutboundMessage.ListRow) -> OutboundMessage.ListRow? {
        guard let (id, fullTitle) = idAndTitle(id: row.id, title: row.title) else { return nil }
        let title = TextFitting.truncated(fullTitle, limit: Limits.rowTitle)
        var description = row.description.flatMap { $0.isBlank ? nil : $0 }
        if title != fullTitle, description == nil { description = fullTitle }
        return .init(id: TextFitting.clipped(id, limit: Limits.rowID), title: title,
                     description: description.map { TextFitting.truncated($0, limit: Limits.rowDescription) })
    }

    /// Optional text: nil when blank, shortened when over `limit`.
    private static func optional(_ text: String?, limit: Int) -> String? {
        guard let text, !text.isBlank else { return nil }
        return TextFitting.truncated(text, limit: limit)
    }

    /// The header, body and footer of an interactive message, fitted: the body's beginning as
    /// text messages (`lead`) when it is over `bodyLimit`; a blank body taken from the header.
    private struct Parts {
        var lead: [Kind]
        var body: String
        var header: String?
        var footer: String?

        init(body: String, header: String?, footer: String?, bodyLimit: Int) {
            self.header = optional(header, limit: Limits.headerText)
            self.footer = optional(footer, limit: Limits.footerText)
            if body.isBlank {
                lead = []
                if let header = self.header {
                    self.body = header
                    self.header = nil
                } else {
                    self.body = TextFitting.ellipsis
                }
            } else if body.metaLength <= bodyLimit {
                lead = []
                self.body = body
            } else {
                let (leadText, tail) = TextFitting.splitKeepingTail(body, tailLimit: bodyLimit, leadLimit: Limits.textBody)
                lead = leadText.map { .text(body: $0, previewURL: false) }
                self.body = tail
            }
        }
    }
}
