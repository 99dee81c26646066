import Foundation

extension OutboundMessage {
    /// Throws the first limit of Meta's this message breaks (see `OutboundLimits`); returns when
    /// Meta would accept its shape. Lengths count `Character`s.
    public func validate() throws(OutboundLimitError) {
        if let first = limitErrors().first { throw first }
    }

    /// Every limit of Meta's this message breaks, in field order; empty when it is valid.
    public func limitErrors() -> [OutboundLimitError] {
        var check = LimitCheck()
        check.text("to", to, limit: nil)
        if let replyTo { check.text("context.message_id", replyTo, limit: nil) }
        switch kind {
        case .text(let body, _):
            check.text("text.body", body, limit: OutboundLimits.textBody)
        case .replyButtons(let body, let buttons, let header, let footer):
            check.header(header)
            check.text("interactive.body.text", body, limit: OutboundLimits.interactiveBody)
            check.footer(footer)
            check.count("interactive.action.buttons", buttons.count, minimum: 1, limit: OutboundLimits.replyButtons)
            var ids = Set<String>()
            var titles = Set<String>()
            for (index, button) in buttons.enumerated() {
                let path = "interactive.action.buttons[\(index)].reply"
                check.id("\(path).id", button.id, limit: OutboundLimits.buttonID, seen: &ids)
                check.text("\(path).title", button.title, limit: OutboundLimits.buttonTitle)
                if !titles.insert(button.title).inserted { check.fail("\(path).title", .duplicate) }
            }
        case .list(let body, let buttonText, let sections, let header, let footer):
            check.header(header)
            check.text("interactive.body.text", body, limit: OutboundLimits.listBody)
            check.footer(footer)
            check.text("interactive.action.button", buttonText, limit: OutboundLimits.listButtonText)
            check.count("interactive.action.sections", sections.count, minimum: 1, limit: OutboundLimits.listSections)
            let rowCount = sections.reduce(0) { $0 + $1.rows.count }
            if rowCount > OutboundLimits.listRows {
                check.fail("interactive.action.sections[].rows", .tooMany(limit: OutboundLimits.listRows, count: rowCount))
            }
            var ids = Set<String>()
            for (sectionIndex, section) in sections.enumerated() {
                let path = "interactive.action.sections[\(sectionIndex)]"
                if let title = section.title {
                    check.text("\(path).title", title, limit: OutboundLimits.sectionTitle)
                } else if sections.count > 1 {
                    check.fail("\(path).title", .missing)
                }
                check.count("\(path).rows", section.rows.count, minimum: 1, limit: OutboundLimits.listRows)
                for (rowIndex, row) in section.rows.enumerated() {
                    let rowPath = "\(path).rows[\(rowIndex)]"
                    check.id("\(rowPath).id", row.id, limit: OutboundLimits.rowID, seen: &ids)
                    check.text("\(rowPath).title", row.title, limit: OutboundLimits.rowTitle)
                    if let description = row.description {
                        check.text("\(rowPath).description", description, limit: OutboundLimits.rowDescription)
                    }
                }
            }
        case .ctaURL(let body, let displayText, let url, let headerImageURL, let footer):
            if let headerImageURL { check.url("interactive.header.image.link", headerImageURL) }
            check.text("interactive.body.text", body, limit: OutboundLimits.interactiveBody)
            check.footer(footer)
            check.text("interactive.action.parameters.display_text", displayText, limit: OutboundLimits.ctaDisplayText)
            check.url("interactive.action.parameters.url", url)
        case .image(let link, let caption):
            check.url("image.link", link)
            if let caption { check.text("image.caption", caption, limit: OutboundLimits.mediaCaption) }
        }
        return check.errors
    }
}

/// Collects the limit errors of one message.
private struct LimitCheck {
    var errors: [OutboundLimitError] = []

    mutating func fail(_ field: String, _ problem: OutboundLimitError.Problem) {
        errors.append(OutboundLimitError(field: field, problem: problem))
    }

    /// Required text: not blank, and at most `limit` characters when there is a limit.
    mutating func text(_ field: String, _ value: String, limit: Int?) {
        if value.isBlank {
            fail(field, .empty)
        } else if let limit, value.metaLength > limit {
            fail(field, .tooLong(limit: limit, length: value.metaLength))
        }
    }

    mutating func id(_ field: String, _ value: String, limit: Int, seen: inout Set<String>) {
        text(field, value, limit: limit)
        if !value.isBlank, value.hasSurroundingWhitespace { fail(field, .surroundingWhitespace) }
        if !seen.insert(value).inserted { fail(field, .duplicate) }
    }

    mutating func count(_ field: String, _ count: Int, minimum: Int, limit: Int) {
        if count < minimum {
            fail(field, .tooFew(minimum: minimum, count: count))
        } else if count > limit {
            fail(field, .tooMany(limit: limit, count: count))
        }
    }

    mutating func header(_ header: String?) {
        if let header { text("interactive.header.text", header, limit: OutboundLimits.headerText) }
    }

    mutating func footer(_ footer: String?) {
        if let footer { text("interactive.footer.text", footer, limit: OutboundLimits.footerText) }
    }

    mutating func url(_ field: String, _ value: String) {
        if value.isBlank {
            fail(field, .empty)
        } else if !value.isHTTPURL {
            fail(field, .invalidURL)
        }
    }
}

extension String {
    /// Empty or only whitespace and newlines.
    package var isBlank: Bool {
        // Fast path: one ASCII byte that is not whitespace settles it without Unicode lookups.
        if utf8.contains(where: { $0 < 0x80 && !String.asciiWhitespace.contains($0) }) { return false }
        return allSatisfy(\.isWhitespace)
    }

    /// The ASCII characters `Character.isWhitespace` counts: tab, line feed, vertical tab, form
    /// feed, carriage return and space.
    package static let asciiWhitespace: Set<UInt8> = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20]

    var hasSurroundingWhitespace: Bool {
        (first?.isWhitespace ?? false) || (last?.isWhitespace ?? false)
    }

    /// An absolute `http`/`https` URL with a host and no whitespace, as Meta accepts for links.
    var isHTTPURL: Bool {
        guard !contains(where: { $0.isWhitespace }),
              let url = URL(string: self),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
