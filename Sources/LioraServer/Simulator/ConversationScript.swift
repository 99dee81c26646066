package import Foundation
import WhatsApp
import Yams

/// A scripted conversation for `liora simulate --script` and the tests in `Tests/conversations/`:
/// user turns (text, button or list picks by number, a location) and what the bot's replies to
/// each must show (the intent, words they contain, buttons or rows they offer, or silence).
///
/// ```yaml
/// name: Recycling batteries
/// turns:
///   - say: "hola"
///     expect: {intent: core.saludo, buttons: ["Ayuda"]}
///   - pick: 1
///     expect: {intent: core.ayuda, contains: ["Reciclaje"]}
///   - location: {latitude: 19.43, longitude: -99.13}
/// ```
///
/// `wa_id: "5215550100007"` makes every run the same user (what earlier runs left, a hand-off to
/// a person included, carries over); without it `liora simulate --script` is a new user each run.
///
/// An unknown key is an error, not ignored: a misspelt expectation (`intnet:`) would otherwise
/// check nothing and always pass.
package struct ConversationScript: Sendable, Decodable {
    package struct Turn: Sendable, Decodable {
        package var say: String?
        package var pick: Int?
        package var location: Location?
        package var expect: Expectation?

        enum CodingKeys: String, CodingKey, CaseIterable { case say, pick, location, expect }

        package init(from decoder: any Decoder) throws {
            let c = try strictContainer(decoder, CodingKeys.self, in: "a turn")
            // `say:` with nothing after it is an empty text (`problem()` says so), not a missing action.
            say = c.contains(.say) ? try c.decodeIfPresent(String.self, forKey: .say) ?? "" : nil
            pick = try c.decodeIfPresent(Int.self, forKey: .pick)
            location = try c.decodeIfPresent(Location.self, forKey: .location)
            expect = try c.decodeIfPresent(Expectation.self, forKey: .expect)
        }
    }
    package struct Location: Sendable, Decodable { package var latitude: Double; package var longitude: Double }
    package struct Expectation: Sendable, Decodable {
        package var intent: String?
        package var contains: [String]?
        package var buttons: [String]?
        package var silence: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable { case intent, contains, buttons, silence }

        package init(from decoder: any Decoder) throws {
            let c = try strictContainer(decoder, CodingKeys.self, in: "expect")
            intent = try c.decodeIfPresent(String.self, forKey: .intent)
            contains = try c.decodeIfPresent([String].self, forKey: .contains)
            buttons = try c.decodeIfPresent([String].self, forKey: .buttons)
            silence = try c.decodeIfPresent(Bool.self, forKey: .silence)
        }
    }

    package var name: String
    package var waID: String?
    package var turns: [Turn]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, waID = "wa_id", turns }

    package init(from decoder: any Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self, in: "the script")
        name = try c.decode(String.self, forKey: .name)
        waID = try c.decodeIfPresent(String.self, forKey: .waID)
        turns = try c.decode([Turn].self, forKey: .turns)
    }

    package static func load(_ url: URL) throws -> ConversationScript {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LioraSimulatorError("\(url.path): cannot read the script (\(error.localizedDescription))")
        }
        let script: ConversationScript
        do {
            script = try YAMLDecoder().decode(ConversationScript.self, from: text)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, let yaml = context.underlyingError as? YamlError, let (mark, problem) = Self.locate(yaml) {
                throw LioraSimulatorError("\(url.lastPathComponent):\(mark.line):\(mark.column): not valid YAML: \(problem)")
            }
            throw LioraSimulatorError("\(url.lastPathComponent): not a conversation script: \(Self.describe(error))")
        } catch {
            throw LioraSimulatorError("\(url.lastPathComponent): not a conversation script (\(error))")
        }
        if let problem = script.problem() { throw LioraSimulatorError("\(url.lastPathComponent): \(problem)") }
        return script
    }

    /// A decoding error as one line a script's author can act on ("turns[2].expect: unknown key …").
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath)): \"\(key.stringValue)\" is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.kind(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.kind(type)), found nothing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Where the YAML went wrong (line and column from 1) and what libyaml says about it
    /// ("mapping values are not allowed in this context"), when it says where.
    static func locate(_ error: YamlError) -> (Mark, String)? {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return (mark, problem + (context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""))
        default:
            return nil
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of texts"
        default: "\(type)"
        }
    }

    /// What makes an expectation meaningless (it would pass whatever the bot said), if anything:
    /// `silence` beside other checks, an empty word or button, an empty list, an empty expect, a
    /// script with no turns or no expectation at all.
    func problem() -> String? {
        if turns.isEmpty { return "the script has no turns" }
        for (i, turn) in turns.enumerated() {
            let label = "turn \(i + 1)"
            let actions = [turn.say != nil, turn.pick != nil, turn.location != nil].filter { $0 }.count
            if actions != 1 { return "\(label): needs exactly one of say, pick or location" }
            if turn.say?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true {
                return "\(label): the text to say is empty (WhatsApp sends no empty message)"
            }
            guard let e = turn.expect else { continue }
            if e.silence == true, e.intent != nil || e.contains != nil || e.buttons != nil {
                return "\(label): silence cannot be checked together with intent, contains or buttons"
            }
            if e.silence == false { return "\(label): write silence: true, or leave it out" }
            if e.silence == nil, e.intent == nil, e.contains == nil, e.buttons == nil {
                return "\(label): expect names nothing to check (intent, contains, buttons or silence)"
            }
            if e.intent?.isEmpty == true { return "\(label): an empty intent checks nothing" }
            for (key, list) in [("contains", e.contains), ("buttons", e.buttons)] {
                guard let list else { continue }
                if list.isEmpty { return "\(label): an empty \(key) list checks nothing" }
                if list.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    return "\(label): an empty string in \(key) matches any reply"
                }
            }
        }
        if turns.allSatisfy({ $0.expect == nil }) { return "no turn has an expect: the script would pass whatever the bot said" }
        return nil
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A keyed container that refuses keys `Keys` does not name.
private func strictContainer<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type,
                                                             in what: String) throws -> KeyedDecodingContainer<Keys> {
    let allowed = Set(Keys.allCases.map(\.stringValue))
    if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath,
            debugDescription: "unknown key \"\(unknown)\" in \(what) (known: \(allowed.sorted().joined(separator: ", ")))"))
    }
    return try decoder.container(keyedBy: Keys.self)
}

/// Plays a script against a running Liora through a `ChatSession`, reading the replies that reach
/// the simulated Graph API. Returns one line per failed expectation (empty: the script passed).
package struct ConversationScriptRunner {
    package var quietPeriod: Duration = .milliseconds(400)
    package var firstReplyTimeout: Duration = .seconds(5)

    package init() {}

    package func run(_ script: ConversationScript, session: ChatSession, replies: AsyncStream<SimulatedGraphAPI.Delivery>,
                     progress: (String) -> Void = { _ in }) async throws -> [String] {
        let inbox = ReplyInbox(replies, keep: session.isForThisUser)
        var failures: [String] = []
        /// The turns that expected silence, by the id of the message they sent.
        var silentTurns: [String: String] = [:]
        func checkLateReplies() {
            for id in inbox.takeLateReplies() {
                if let label = silentTurns[id] { failures.append("\(label): expected silence, but a reply came later") }
            }
        }
        for (index, turn) in script.turns.enumerated() {
            let label = "turn \(index + 1)"
            let posted: ChatSession.Posted
            do {
                if let text = turn.say {
                    posted = try await session.sendText(text)
                } else if let n = turn.pick {
                    posted = try await session.pick(n)
                } else if let l = turn.location {
                    posted = try await session.shareLocation(latitude: l.latitude, longitude: l.longitude)
                } else {
                    failures.append("\(label): needs say, pick or location")
                    continue
                }
            } catch let error as LioraSimulatorError {
                failures.append("\(label): \(error.description)")  // a pick the replies did not offer
                continue
            } catch {
                // Liora is not running there, or the connection broke: no later turn can pass.
                failures.append("\(label): could not post the webhook to \(session.webhookURL.absoluteString) "
                                + "(\(error.localizedDescription)): is Liora running there?")
                break
            }
            if posted.status != 200 {
                failures.append("\(label): \(session.explain(posted))")
                // A refused signature, or no app secret at all, refuses every turn alike: once is enough.
                if posted.status == 401 || posted.errorCode == "webhook_not_configured" { break }
            }
            let expectSilence = turn.expect?.silence == true
            if expectSilence, let id = session.lastMessageID { silentTurns[id] = label }
            // Replies name the message they answer: a late reply to an earlier turn is not taken
            // for this one's (and one to a turn that expected silence fails that turn).
            let got = await inbox.collect(first: expectSilence ? quietPeriod * 3 : firstReplyTimeout, quiet: quietPeriod,
                                          answering: session.lastMessageID)
            checkLateReplies()
            for m in got { progress(session.render(m.message)) }
            guard let expect = turn.expect else { continue }
            if expectSilence {
                if !got.isEmpty { failures.append("\(label): expected silence, got \(got.count) message(s)") }
                continue
            }
            if got.isEmpty {
                // (A refused webhook was said above.)
                failures.append("\(label): " + (posted.status != 200 ? "no reply" : session.explainSilence(waited: firstReplyTimeout)))
                continue
            }
            if let intent = expect.intent, !got.contains(where: { $0.message.callbackData == intent }) {
                let seen = Set(got.compactMap(\.message.callbackData)).sorted()
                failures.append("\(label): expected intent \(intent), got \(seen.isEmpty ? "none" : seen.joined(separator: ", "))")
            }
            let texts = got.map { Self.text(of: $0.message).lowercased() }
            for word in expect.contains ?? [] where !texts.contains(where: { $0.contains(word.lowercased()) }) {
                failures.append("\(label): no reply contains \"\(word)\"")
            }
            let titles = got.flatMap { Self.choices(of: $0.message) }
            for button in expect.buttons ?? [] where !titles.contains(button) {
                failures.append("\(label): no button or row \"\(button)\" (offered: \(titles.joined(separator: ", ")))")
            }
        }
        if !silentTurns.isEmpty {
            // A turn that expected silence may still be answered after the last turn.
            _ = await inbox.collect(first: quietPeriod * 3, quiet: quietPeriod, answering: nil)
            checkLateReplies()
        }
        return failures
    }

    static func text(of m: OutboundMessage) -> String {
        switch m.kind {
        case .text(let body, _): body
        case .replyButtons(let body, _, _, _), .ctaURL(let body, _, _, _, _): body
        case .list(let body, _, let sections, _, _):
            // What the user sees when the list opens counts too.
            ([body] + sections.flatMap(\.rows).map { $0.title + " " + ($0.description ?? "") }).joined(separator: "\n")
        case .image(_, let caption): caption ?? ""
        }
    }

    static func choices(of m: OutboundMessage) -> [String] {
        switch m.kind {
        case .replyButtons(_, let buttons, _, _): buttons.map(\.title)
        case .list(_, _, let sections, _, _): sections.flatMap(\.rows).map(\.title)
        default: []
        }
    }
}

/// Reads deliveries in the background so the runner can wait for "first reply, then quiet".
private final class ReplyInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [SimulatedGraphAPI.Delivery] = []
    /// The message ids that replies dropped as late (answering an earlier message) named.
    private var late: [String] = []
    private var reader: Task<Void, Never>?

    init(_ stream: AsyncStream<SimulatedGraphAPI.Delivery>, keep: @escaping @Sendable (SimulatedGraphAPI.Delivery) -> Bool) {
        reader = Task { [weak self] in
            for await d in stream where keep(d) {
                guard let self else { return }
                self.lock.withLock { self.buffer.append(d) }
            }
        }
    }

    deinit { reader?.cancel() }

    func collect(first: Duration, quiet: Duration, answering id: String?) async -> [SimulatedGraphAPI.Delivery] {
        let clock = ContinuousClock()
        let start = clock.now
        var lastCount = 0
        var lastChange = start
        func current() -> [SimulatedGraphAPI.Delivery] {
            lock.withLock {
                // Drop replies to earlier messages (noting which); keep those to this one (or naming none).
                buffer.removeAll { d in
                    guard let replyTo = d.message.replyTo, let id, replyTo != id else { return false }
                    late.append(replyTo)
                    return true
                }
                return buffer
            }
        }
        while true {
            try? await Task.sleep(for: .milliseconds(25))
            let count = current().count
            if count != lastCount { lastCount = count; lastChange = clock.now }
            if count == 0 && clock.now - start >= first { break }
            if count > 0 && clock.now - lastChange >= quiet { break }
        }
        let got = current()
        lock.withLock {
            if id == nil { late += got.compactMap(\.message.replyTo) }  // a drain: every reply is late
            buffer.removeAll()
        }
        return got
    }

    /// The message ids late replies named since the last call.
    func takeLateReplies() -> [String] {
        lock.withLock { defer { late.removeAll() }; return late }
    }
}
