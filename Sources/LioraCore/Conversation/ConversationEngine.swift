public import Foundation

/// Decides the bot's answer to one message: routes it (reply ids → rules → classifier), follows
/// up pending questions (slots), asks "did you mean …?" when two intents are close, and backs
/// off on messages it does not understand (AIMD), handing the conversation to a person after too
/// many in a row. Pure and deterministic: the caller loads and stores the state.
public struct ConversationEngine: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Consecutive no-matches after which a person is asked to take over.
        public var handOffAfter: Int = 5
        /// Multiplicative decrease of the fallback weight on each unanswered no-match.
        public var fallbackDecrease: Double = 0.5
        /// Additive increase of the fallback weight on each match.
        public var fallbackIncrease: Double = 0.25
        /// A pending question expires after this long without an answer.
        public var slotTimeout: TimeInterval = 15 * 60
        /// A hand-off to a person holds this long: meanwhile messages the bot does not understand
        /// get no reply (the person answers them); after it, or after any understood message, the
        /// no-match back-off starts over and can hand off again.
        public var handOffHold: TimeInterval = 24 * 3600
        /// After asking for a person, the line saying a person will answer (and how to get the
        /// menu) is sent again to a message this long after the last one, so a user still waiting
        /// hours later is not met with silence for the rest of the hold.
        public var waitingNoticeRepeat: TimeInterval = 4 * 3600

        public init() {}
    }

    /// The engine's decision for one message.
    public struct Turn: Sendable, Equatable {
        public var replies: [BotReply]
        public var intentID: String?
        public var language: Language
        public var state: ConversationState
        /// True when this message made the bot hand the conversation to a person; `intentID` is
        /// then `handOffIntent`, an urgent intent (`Intent.urgent`, e.g. `core.crisis`) or one that
        /// hands off (`Intent.handsOff`, e.g. `core.pedidos`), so hand-offs can be found in the
        /// conversation log by intent.
        public var handedOff: Bool
    }

    /// The intent logged for a message that handed the conversation to a person.
    public static let handOffIntent = "core.humano"

    public let router: IntentRouter
    public let configuration: Configuration
    /// The one-word keywords of the skills other than the shop's and `core` ("vidrio", "pilas",
    /// "glass"): a yes/no question naming one is about that subject, not the card on screen.
    let subjectWords: Set<String>

    public init(router: IntentRouter, configuration: Configuration = .init()) {
        self.router = router
        self.configuration = configuration
        var words = Set<String>()
        for intent in router.catalog.intents where intent.skill != "ecommerce" && intent.skill != "core" {
            for keyword in intent.keywords.all {
                let tokens = Self.normalizer.normalize(keyword).tokens
                if tokens.count == 1 { words.insert(tokens[0]) }
            }
        }
        subjectWords = words
    }

    /// - Parameter catalog: the tenant's active catalog; without one, catalog questions are
    ///   answered with a "no catalog yet" message.
    /// - Parameter languageEstablished: whether `previous` is the user's own language, false on
    ///   their first message (it is only the default then).
    public func respond(to written: String, replyID: String?, language previous: Language, languageEstablished: Bool = true,
                        state: ConversationState, enabledSkills: Set<String>, catalog: ActiveCatalogIndex? = nil, now: Date) -> Turn {
        var state = state
        // A thumbs-up alone is an "ok" (it got "I didn't understand").
        let text = Self.isAcknowledgementEmoji(written) ? "ok" : written
        // Someone at risk, or asking for a person: before any pending question, list or product.
        if replyID == nil, let urgent = router.urgentIntent(in: text, enabledSkills: enabledSkills) {
            state.pendingSlot = nil
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            return matched(urgent, language: language, state: &state, enabledSkills: enabledSkills, now: now)
        }
        // "olvídalo, ya no quiero una persona", "never mind, I don't need a human": the bot carries
        // on (it handed the chat to a person again). Not after a crisis or an emergency: that hold
        // stays until a person answers.
        if replyID == nil, Self.cancelsPerson(text),
           state.personRequestedFor.flatMap({ router.catalog.intent(id: $0) }).map({ !$0.urgent || $0.id == Self.handOffIntent }) ?? true {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let waiting = state.personRequestedAt != nil
            (state.personRequestedAt, state.personRequestedFor, state.waitingNoticeAt) = (nil, nil, nil)
            state.noMatchStreak = 0
            let line = switch (waiting, language) {
            case (true, .es): "De acuerdo, sigo yo por aquí. ¿En qué te ayudo? Si cambias de idea, escribe *asesor*."
            case (true, _): "All right, I'll carry on here. How can I help? If you change your mind, type *human*."
            case (false, .es): "De acuerdo, sigo yo por aquí. ¿En qué te ayudo?"
            case (false, _): "All right, I'll carry on here. How can I help?"
            }
            let help = router.catalog.intent(id: "core.ayuda").map { (IntentRouter.replyIDPrefix + $0.id, $0.title[language]) }
            return Turn(replies: [help.map { .buttons(body: line, buttons: [$0]) } ?? .text(line)], intentID: "core.ok", language: language,
                        state: state, handedOff: false)
        }
        // The user asked for a person (or was at risk): what they type now ("¿cuánto tardan?",
        // "hola?") is for that person, not a new request to the bot (it got a product search, a
        // greeting, a goodbye). One line says a person will answer — for someone at risk, the
        // crisis or emergency reply again — then quiet (the line again to a message hours
        // later, `waitingNoticeRepeat`). Still answered: a clear question to a
        // skill (one of its keywords or patterns), a product asked for by name, another question
        // only a person answers, and "menú" (all hand the chat back to the bot); thanks and "ok"
        // are answered and keep the hold.
        if replyID == nil, let asked = state.personRequestedAt, now.timeIntervalSince(asked) <= configuration.handOffHold,
           now >= asked.addingTimeInterval(-60) {
            let route = router.route(text, enabledSkills: enabledSkills, language: previous, languageEstablished: languageEstablished,
                                     checkingUrgent: false)
            let intent = route.intentID.flatMap { router.catalog.intent(id: $0) }
            if let intent, (Self.courtesyIntents.contains(intent.id) && Self.withoutPleasantries(text) == nil) || intent.replyLanguage != nil {
                let held = (state.handedOffAt, state.personRequestedAt, state.waitingNoticeAt, state.personRequestedFor)
                var turn = matched(intent, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
                (turn.state.handedOffAt, turn.state.personRequestedAt, turn.state.waitingNoticeAt, turn.state.personRequestedFor) = held
                // Not the skill's "I'm here if you need anything" (or "message me any time"): the
                // user is waiting for a person, and the answer says so (in the language they asked
                // for, when they asked for one).
                let opening = switch (intent.id, turn.language) {
                case ("core.gracias", .es): "¡De nada! 😊 "
                case ("core.gracias", .en): "You're welcome! 😊 "
                case (_, .es) where intent.replyLanguage != nil: "¡Claro! Te escribo en español. "
                case (_, .en) where intent.replyLanguage != nil: "Sure, I'll write in English. "
                default: "👍 "
                }
                turn.replies = [.text(opening + (turn.language == .es
                    ? "Una persona del equipo te responderá aquí en cuanto pueda."
                    : "Someone from the team will answer you here as soon as they can."))]
                return turn
            }
            let tokens = Self.normalizer.normalize(text).tokens
            let asksForMenu = [["menu"], ["menu", "principal"], ["main", "menu"], ["el", "menu"]].contains(tokens)
            let handsOffAgain = intent.map { $0.id == Self.handOffIntent || $0.handsOff } ?? false
            let clearQuestion: Bool = if case .matched(let id, _, .rule) = route.outcome { !id.hasPrefix("core.") } else { false }
            let shop = enabledSkills.contains("ecommerce") ? catalog : nil
            let asksForProduct = shop.map { Self.hasBuyingCue(text) && $0.index.isConfidentMatch(text) } ?? false
            if !asksForMenu && !handsOffAgain && !clearQuestion && !asksForProduct {
                let language = route.language
                guard state.waitingNoticeAt.map({ $0 < asked || now.timeIntervalSince($0) >= configuration.waitingNoticeRepeat }) ?? true else {
                    return Turn(replies: [], intentID: nil, language: language, state: state, handedOff: false)
                }
                state.waitingNoticeAt = now
                if let id = state.personRequestedFor, id != Self.handOffIntent, let urgent = router.catalog.intent(id: id), urgent.urgent,
                   let again = urgent.responses[language].first {
                    return Turn(replies: [.text(again)], intentID: nil, language: language, state: state, handedOff: false)
                }
                let notice = Self.waitingNotice(language)
                return Turn(replies: [.text(notice)], intentID: nil, language: language, state: state, handedOff: false)
            }
            if asksForMenu, let help = router.catalog.intent(id: "core.ayuda"), enabledSkills.contains(help.skill) {
                return matched(help, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
            }
        }
        let shop = enabledSkills.contains("ecommerce") ? catalog : nil
        // Rows and buttons of catalog replies, and "ver más" after a list.
        let isCatalogReply = replyID.map {
            $0.hasPrefix(CatalogReplyID.product) || $0.hasPrefix(CatalogReplyID.category) || $0 == CatalogReplyID.more
        } ?? false
        // "anterior", "previous page": the page before the one on screen.
        if let shop, replyID == nil, var browse = state.catalogBrowse, browse.catalogVersion == shop.version, browse.shown > 0,
           Self.asksForPrevious(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let current = (browse.shown + Self.pageSize - 1) / Self.pageSize
            // "back" after a card from the first page: that page again, to pick another.
            let goesBack = Self.asksToGoBack(text)
            guard current > 1 || goesBack else {
                return catalogAnswer(([.text(language == .es ? "Ya estás en la primera página de la lista. Escribe *ver más* para la siguiente."
                                                             : "You're on the list's first page already. Type *more* for the next one.")], "catalogo.buscar"),
                                     language: language, state: &state, catalogVersion: shop.version, now: now)
            }
            browse.shown = max(current - 2, 0) * Self.pageSize
            state.catalogBrowse = browse
            if let answer = catalogTurn(text: text, replyID: CatalogReplyID.more, intentID: nil, language: language, state: &state,
                                        catalog: shop, now: now) {
                return catalogAnswer(answer, language: language, state: &state, catalogVersion: shop.version, now: now)
            }
        }
        // "volver a la lista" after a side question ("tengo que tirar unas pilas" while shopping):
        // the list it took off the screen, from its first page (it got the menu).
        if let shop, replyID == nil, state.catalogBrowse == nil, var aside = state.setAsideBrowse, aside.catalogVersion == shop.version,
           Self.asksToGoBack(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            aside.shown = 0
            state.catalogBrowse = aside
            state.setAsideBrowse = nil
            return catalogAnswer((page(state: &state, catalog: shop, language: language), "catalogo.buscar"), language: language,
                                 state: &state, catalogVersion: shop.version, now: now)
        }
        if replyID == nil, Self.asksToGoBack(text),
           let help = router.catalog.intent(id: "core.ayuda"), enabledSkills.contains(help.skill) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            return matched(help, language: language, state: &state, enabledSkills: enabledSkills, now: now)
        }
        if let shop, isCatalogReply || (replyID == nil && state.catalogBrowse != nil && Self.asksForMore(text)) {
            // A tapped row's title is a product name: it never changes the language.
            let language = isCatalogReply ? previous : router.language(of: text, previous: previous, established: languageEstablished)
            // "página 3": that page, not the one after the last shown.
            if !isCatalogReply, let number = Self.askedPage(text), var browse = state.catalogBrowse {
                browse.shown = (number - 1) * Self.pageSize
                state.catalogBrowse = browse
            }
            if let answer = catalogTurn(text: text, replyID: isCatalogReply ? replyID : CatalogReplyID.more, intentID: nil,
                                        language: language, state: &state, catalog: shop, now: now) {
                return catalogAnswer(answer, language: language, state: &state, catalogVersion: shop.version, now: now)
            }
        }
        // A follow-up to the list on screen: "el segundo", "¿y en negro?", "¿más baratos?".
        // In the language it is written in ("EL PRIMERO" after an English message was answered in English).
        // Not when it asks about the card shown after the list ("do you have it in size 8?").
        let cardOnScreen = catalog != nil && state.shownProduct.map { now.timeIntervalSince($0.at) <= configuration.slotTimeout } == true
        // Nor "¿más barato?" with a card on screen: cheaper than that product (it re-sorted the list).
        if let shop, replyID == nil, state.pendingSlot == nil, state.catalogBrowse != nil,
           !(cardOnScreen && (Self.asksAboutIt(text) || Self.asksPriceChange(text) || Self.bareSize(text) != nil
                || (Self.bareColour(text) && liveCard(state, shop: shop, now: now).map { card in Self.askedColours(text).first.map { Self.hasColour(card.1, $0) } ?? false } == true))),
           case let language = router.language(of: text, previous: previous, established: languageEstablished),
           let answer = listFollowUp(text, state: &state, catalog: shop, language: language) {
            return catalogAnswer(answer, language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿cuánto cuesta?", "¿hay stock?" with a list on screen and no card: which one (it was a
        // search for "cuánto cuesta").
        if let shop, replyID == nil, state.pendingSlot == nil, !cardOnScreen, let browse = state.catalogBrowse,
           browse.catalogVersion == shop.version, let rows = browse.onScreen, rows.count > 1, Self.asksAboutOne(text),
           // ("¿cuánto sale?" is the price in Argentina, not a search for what is on sale.)
           case let named = Self.normalizer.normalize(text).tokens.filter({ $0 != "sale" && $0 != "salen" }).joined(separator: " "),
           named.isEmpty || !shop.index.isConfidentMatch(named) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            return catalogAnswer(([.text(language == .es ? "¿De cuál? Elige uno de la lista (del 1 al \(rows.count)) o escríbeme su nombre."
                                                         : "Which one? Pick one from the list (1 to \(rows.count)) or type its name.")],
                                  "catalogo.buscar"), language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿cuánto es en dólares?": the shop's currency, said (it opened a sunscreen: "dolares" read
        // as "solar"). What is on screen stays.
        if let shop, replyID == nil, state.pendingSlot == nil, Self.asksOtherCurrency(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let currency = shop.index.catalog.currency
            let (shown, browse) = (state.shownProduct, state.catalogBrowse)
            var turn = catalogAnswer(([.text(language == .es ? "Los precios de la tienda están en \(currency); no los tengo en otras monedas."
                                                            : "The shop's prices are in \(currency); I don't have them in other currencies.")],
                                      "catalogo.detalle"), language: language, state: &state, catalogVersion: shop.version, now: now)
            (turn.state.shownProduct, turn.state.catalogBrowse) = (shown, browse)
            return turn
        }
        // A price range naming no product ("¿qué tienen de menos de 500?", "menos de 300 pesos"):
        // the shop's products in it, cheapest first (it got "no te entendí").
        // (Not "¿algo más barato que 300?" about the card on screen: its kind, below.)
        if let shop, replyID == nil, state.pendingSlot == nil, text.utf8.count <= 80, let (bound, rest) = PriceBound.parse(text),
           shop.index.queryWords(rest).isEmpty, !(cardOnScreen && Self.asksPriceChange(text)) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            guard shop.index.catalog.products.contains(where: { $0.isInStock && bound.contains($0.currentPrice) }) else {
                state.catalogBrowse = nil
                return catalogAnswer(([.text(language == .es ? "No tengo productos en ese rango de precio. ¿Busco en otro rango, o algo en particular?"
                                                             : "I have no products in that price range. Shall I look in another range, or for something in particular?")],
                                      "catalogo.buscar"), language: language, state: &state, catalogVersion: shop.version, now: now)
            }
            state.catalogBrowse = CatalogBrowse(query: nil, categoryID: nil, shown: 0, catalogVersion: shop.version, order: .cheapest, priceText: text)
            return catalogAnswer((page(state: &state, catalog: shop, language: language), "catalogo.buscar"), language: language,
                                 state: &state, catalogVersion: shop.version, now: now)
        }
        // A category of the shop typed by name, unless it answers our question ("¿qué material?"
        // → "electrónica"): its page, as if its row was tapped (category names are the shop's
        // words, like a row's title: they never change the language, except as a first message:
        // "electronics" from a new user is English).
        // ("¿y para niños?" just after a skill's card is about that card, below, not the Kids category.)
        let followsCard = replyID == nil
            && state.lastAnswer.map { $0.skill != "ecommerce" && now >= $0.at && now.timeIntervalSince($0.at) <= configuration.slotTimeout } == true
            && Self.isFollowUp(text)
        if let shop, replyID == nil, state.pendingSlot == nil, !followsCard, let id = Self.typedCategory(text, index: shop.index),
           case let language = languageEstablished ? previous : router.language(of: text, previous: previous, established: false),
           let answer = catalogTurn(text: text, replyID: CatalogReplyID.category + id, intentID: nil, language: language,
                                    state: &state, catalog: shop, now: now) {
            return catalogAnswer(answer, language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        if isCatalogReply {
            // A row or button of an older catalog reply that the catalog cannot answer now (its
            // category was taken out, the shop withdrew its catalog or turned the skill off): its
            // title is catalog data, never routed as the user's words ("Pilas recargables AA"
            // would get battery recycling).
            return catalogGone(replyID: replyID ?? "", language: previous, state: &state, shop: shop,
                               enabledSkills: enabledSkills, now: now)
        }
        // An answer to the question we asked ("which material?" → "pilas"), unless the message is
        // plainly about something else: another skill's question ("is olive oil healthy?" is not
        // about used oil) or a product of the shop ("mochila para laptop").
        // Whether the message asks the shop for something (normalised once per message).
        let asksToBuy = shop != nil && replyID == nil && Self.hasBuyingCue(text)
        if let pending = state.pendingSlot {
            state.pendingSlot = nil
            if now.timeIntervalSince(pending.askedAt) <= configuration.slotTimeout, replyID == nil,
               let slot = router.catalog.intent(id: pending.intentID)?.slot,
               let target = slot.resolve(text), let intent = router.catalog.intent(id: target),
               enabledSkills.contains(intent.skill) {
                let route = router.route(text, enabledSkills: enabledSkills, language: previous, languageEstablished: languageEstablished, checkingUrgent: false)
                // "cristal, gracias" still answers the question: the thanks is not a new subject
                // (asking for a person is).
                // A guess that it is a product ("zapatillas" to "which material?") is not: asking
                // to buy one is (`product`, below).
                let guessedShop: Bool = if case .matched(_, _, .classifier) = route.outcome { true } else { false }
                let elsewhere = route.intentID.flatMap { router.catalog.intent(id: $0) }
                    .map { $0.skill != intent.skill && !Self.pleasantryIntents.contains($0.id) && !(guessedShop && $0.skill == "ecommerce") } ?? false
                let product = intent.skill != "ecommerce" && asksToBuy && shop?.index.isConfidentMatch(text) == true
                if !elsewhere && !product {
                    return matched(intent, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
                }
            }
            // "no sé", "¿cuáles son las opciones?" to "which material?": the options, and the
            // question again (it got the help menu and the question was dropped).
            if now.timeIntervalSince(pending.askedAt) <= configuration.slotTimeout, replyID == nil, Self.asksForOptions(text),
               let slot = router.catalog.intent(id: pending.intentID)?.slot {
                let language = router.language(of: text, previous: previous, established: languageEstablished)
                let targets = Set(slot.values.values)
                let options = router.catalog.intents.filter { targets.contains($0.id) && enabledSkills.contains($0.skill) }
                if !options.isEmpty {
                    state.pendingSlot = .init(intentID: pending.intentID, name: slot.name, askedAt: now)
                    let body = (language == .es ? "Te puedo contar de cualquiera de estos. " : "I can tell you about any of these. ") + slot.ask[language]
                    return Turn(replies: [.list(body: body, button: language == .es ? "Ver opciones" : "See options",
                                                rows: options.prefix(10).map { .init(id: IntentRouter.replyIDPrefix + $0.id, title: $0.title[language], description: nil) })],
                                intentID: pending.intentID, language: language, state: state, handedOff: false)
                }
            }
        }
        // "¿la azul es más barata?" just after a card: that colour's model against this one, in a
        // line (it listed the shop's cheapest blue things).
        if let shop, replyID == nil, let (shown, product) = liveCard(state, shop: shop, now: now),
           let compared = colourPriceComparison(text, product: product, index: shop.index, language: previous) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let replies: [BotReply]
            switch compared {
            case .pair(let subject, let against):
                let tokens = Self.normalizer.normalize(text).tokens
                let dearer = tokens.contains(where: CatalogWords.dearWords.contains) || tokens.contains("pricier")
                let same = !dearer && !tokens.contains(where: CatalogWords.cheapWords.contains) && Self.asksSamePrice(tokens)
                replies = [.text(priceComparisonLine(subject, against: against, askedDearer: dearer, askedSame: same, index: shop.index,
                                                     language: language))]
            case .missing(let colour):
                let line = language == .es ? "*\(product.name)* no viene en \(colour)." : "*\(product.name)* doesn't come in \(colour)."
                replies = [.text(line)] + otherColours(of: product, state: &state, catalog: shop, language: language)
            }
            var turn = catalogAnswer((replies, "catalogo.detalle"), language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.shownProduct = shown  // the card stays the subject
            return turn
        }
        // "¿Algo más barato?", "está muy cara" just after a card: its category's cheaper products.
        if let shop, replyID == nil, cardOnScreen, Self.asksPriceChange(text),
           case let language = router.language(of: text, previous: previous, established: languageEstablished),
           let replies = cheapestSearch(text, state: &state, catalog: shop, language: language, now: now) {
            return catalogAnswer((replies, "catalogo.buscar"), language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿la tienen en otro color?" just after a card: its other colours (the card came again).
        if let shop, replyID == nil, cardOnScreen, let shown = state.shownProduct, shown.catalogVersion == shop.version, now >= shown.at,
           Self.asksOtherColours(text), let product = shop.index.product(sku: shown.sku), Self.isOnlyAbout(product, text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let replies = otherColours(of: product, state: &state, catalog: shop, language: language)
            var turn = catalogAnswer((replies, "catalogo.buscar"), language: language, state: &state, catalogVersion: shop.version, now: now)
            // The card stays the subject: "¿cuánto cuesta?" next is about it (it got water tips).
            turn.state.shownProduct = shown
            return turn
        }
        // "¿cuándo vuelven?", "¿las van a reponer?", "when will it be back in stock?" about the card
        // on screen: no date is known here; a person can say, and other models are shown (it got
        // the fallback).
        if let shop, replyID == nil, let (shown, product) = liveCard(state, shop: shop, now: now),
           Self.asksRestock(text, soldOut: product.stock == 0), !shop.index.namesAnotherProduct(text, besides: product) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let es = language == .es
            guard product.stock == 0 else {
                let line = product.stock <= 5
                    ? (es ? "*\(product.name)* está disponible ahora, pero quedan solo \(product.stock)." : "*\(product.name)* is in stock now, but only \(product.stock) left.")
                    : (es ? "*\(product.name)* está disponible ahora: no hace falta esperar." : "*\(product.name)* is in stock now: no need to wait.")
                var turn = catalogAnswer(([.text(line)], "catalogo.detalle"), language: language, state: &state,
                                         catalogVersion: shop.version, now: now)
                turn.state.shownProduct = shown
                return turn
            }
            return soldOutTurn(product, line: es
                ? "No tengo fecha de reposición de *\(product.name)*. Si quieres, escribe *asesor* y una persona te dice cuándo vuelve."
                : "I don't have a restock date for *\(product.name)*. Type *human* and a person can tell you when it's back.",
                shown: shown, shop: shop, language: language, state: &state, now: now)
        }
        // "¿tienen otro modelo?", "¿algo parecido?" just after a card: its kind's other models (it
        // sent the card again).
        if let shop, replyID == nil, let (shown, product) = liveCard(state, shop: shop, now: now), Self.asksOtherModels(text),
           !Self.asksAboutOrders(text), Self.isOnlyAbout(product, text) || Self.normalizer.normalize(text).tokens.count <= 4 {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            var turn = catalogAnswer((otherModels(of: product, state: &state, catalog: shop, language: language), "catalogo.buscar"),
                                     language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.shownProduct = shown  // "¿y cuánto cuesta?" next is still about the card
            return turn
        }
        // "¿es impermeable?", "¿es de piel?", "does it have bluetooth?" just after a card: what its
        // card says (it searched the shop for "es impermeable").
        // (A warranty its listing states is answered from it: "¿tiene garantía?" of a coffee maker
        // "con 1 año de garantía" went to a person.)
        if let shop, replyID == nil, let (shown, product) = liveCard(state, shop: shop, now: now),
           !Self.asksAboutOrders(text) || Self.asksListedWarranty(text, of: product),
           let asked = Self.askedQuality(text),
           // (What its listing says answers it, though another skill has the words: "¿mide el
           // sueño?" of a smartwatch got the sleep card, "¿son contra agua?" the hydration card.)
           case let says = qualityVerdict(asked, product: product, index: shop.index, language: previous).yes,
           Self.asksOnlyMaterialOrColour(asked.words) || Self.namesItsOwn(product, asked.words) || says == true
               // (Not "¿es reciclable el vidrio?": glass is recycling's subject, whatever the card is made of.)
               || (!asked.words.contains(where: subjectWords.contains)
                   && (says != nil || !answeredElsewhere(text, enabledSkills: enabledSkills, language: previous, surely: true))) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            var turn = catalogAnswer(([.text(qualityAnswer(asked, product: product, index: shop.index, language: language))], "catalogo.detalle"),
                                     language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.shownProduct = shown
            return turn
        }
        // "how long does the battery last?" just after a card: what its listing says of its
        // battery (it got the battery recycling card, and the card was forgotten).
        if let shop, replyID == nil, let (shown, product) = liveCard(state, shop: shop, now: now), Self.asksBatteryLife(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            var turn = catalogAnswer(([.text(batteryAnswer(product, language: language))], "catalogo.detalle"),
                                     language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.shownProduct = shown
            return turn
        }
        // "what sizes?", "¿qué colores hay?" with a list on screen and no card: each listed
        // product's sizes or colour (it searched "what sizes" and found nothing).
        if let shop, replyID == nil, liveCard(state, shop: shop, now: now) == nil, let browse = state.catalogBrowse,
           browse.catalogVersion == shop.version, let rows = browse.onScreen, rows.count >= 2, let asked = Self.asksListAttribute(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let es = language == .es
            let keys = asked == .sizes ? ["talla", "tallas", "talle", "size", "sizes", "numero"] : ["color", "colores", "colour", "colours"]
            let translating = Self.translates(shop.index, to: language)
            let lines: [String] = rows.compactMap { shop.index.product(sku: $0) }.compactMap { p in
                guard let value = keys.lazy.compactMap({ key in p.attributes.first { $0.key.lowercased() == key }?.value }).first, !value.isEmpty else { return nil }
                let shown = asked == .colours && translating ? Self.inEnglish(key: "color", value: value).value : value
                return "• *\(p.name)*: \(shown)"
            }
            let title = switch (asked, es) {
            case (.sizes, true): "Tallas de la lista:"
            case (.sizes, false): "Sizes in the list:"
            case (.colours, true): "Colores de la lista:"
            case (.colours, false): "Colours in the list:"
            }
            let text = lines.isEmpty
                ? (es ? "Las fichas de la lista no indican \(asked == .sizes ? "tallas" : "colores"). Elige uno para ver todos sus detalles."
                      : "The listings in the list don't give \(asked == .sizes ? "sizes" : "colours"). Pick one for all its details.")
                : title + "\n" + lines.joined(separator: "\n") + (es ? "\n\nElige uno en la lista para ver el detalle." : "\n\nPick one from the list for the details.")
            return catalogAnswer(([.text(text)], "catalogo.detalle"), language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿son polarizados?" with a list on screen and no card: what each listed product's card
        // says, a line each (it got the help menu). The list stays on screen.
        if let shop, replyID == nil, liveCard(state, shop: shop, now: now) == nil, let browse = state.catalogBrowse,
           browse.catalogVersion == shop.version, let rows = browse.onScreen, rows.count >= 2, !Self.asksAboutOrders(text),
           let asked = Self.askedQuality(Self.asOneQuestion(text)),
           Self.asksOnlyMaterialOrColour(asked.words) || !answeredElsewhere(text, enabledSkills: enabledSkills, language: previous) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let es = language == .es
            let products = rows.compactMap { shop.index.product(sku: $0) }
            var unknown = false
            let lines = products.map { product -> String in
                let verdict = qualityVerdict(asked, product: product, index: shop.index, language: language).yes
                if verdict == nil { unknown = true }
                let said = switch verdict {
                case true?: es ? "sí" : "yes"
                case false?: "no"
                case nil: es ? "la ficha no lo dice" : "the listing doesn't say"
                }
                return "• *\(product.name)*: \(said)"
            }
            var text = (es ? "De la lista, “\(asked.written)”:\n" : "From the list, “\(asked.written)”:\n") + lines.joined(separator: "\n")
            text += es ? "\n\nElige uno en la lista para ver todos sus detalles." : "\n\nPick one from the list for all its details."
            if unknown { text += es ? " Si quieres, escribe *asesor* y una persona te lo confirma." : " Or type *human* and a person will confirm it." }
            return catalogAnswer(([.text(text)], "catalogo.detalle"), language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿cuánto cuesta?" or "is it still available?" just after a product's card: that product
        // ("¿la negra tiene stock?": the same model in black). Not a question for a person about
        // shipping or payment ("¿cuánto cuesta el envío?" got the product's price), nor one that
        // names another product (a colour or size alone names none: "¿en talla XL?" listed shirts).
        if let shop, replyID == nil, let shown = state.shownProduct, shown.catalogVersion == shop.version,
           now.timeIntervalSince(shown.at) <= configuration.slotTimeout, now >= shown.at,
           Self.asksAboutIt(text) || Self.bareSize(text) != nil || Self.bareColour(text), !Self.asksAboutOrders(text),
           var product = shop.index.product(sku: shown.sku),
           Self.asksPrice(text) || !shop.index.namesAnotherProduct(text, besides: product), Self.isOnlyAbout(product, text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            switch colourSibling(of: product, asked: text, index: shop.index) {
            case .same: break
            case .other(let sibling):
                product = sibling
                // "¿y en negro?": the black one's card, not "yes, it is black".
                if Self.bareColour(text) {
                    return catalogAnswer(([.product(card(product, index: shop.index, language: language))], "catalogo.detalle"),
                                         language: language, state: &state, catalogVersion: shop.version, now: now)
                }
            case .none(let colour):
                let line = language == .es ? "*\(product.name)* no viene en \(colour)." : "*\(product.name)* doesn't come in \(colour)."
                var turn = catalogAnswer(([.text(line)] + otherColours(of: product, state: &state, catalog: shop, language: language),
                                          "catalogo.detalle"), language: language, state: &state, catalogVersion: shop.version, now: now)
                turn.state.shownProduct = shown
                return turn
            }
            // Its price, stock, a size or an attribute: that, in a line (the card stays the subject).
            if let line = cardQuestionAnswer(text, product: product, index: shop.index, language: language) {
                var turn = catalogAnswer(([.text(line)], "catalogo.detalle"), language: language, state: &state,
                                         catalogVersion: shop.version, now: now)
                turn.state.shownProduct = .init(sku: product.sku, at: now, catalogVersion: shown.catalogVersion)
                return turn
            }
            return catalogAnswer(([.product(card(product, index: shop.index, language: language))], "catalogo.detalle"),
                                 language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "lo quiero, ¿cómo lo compro?" just after a product's card: how to buy it (its button,
        // or a person), with the card again; it got the help menu.
        if let shop, replyID == nil, let shown = state.shownProduct, shown.catalogVersion == shop.version,
           now.timeIntervalSince(shown.at) <= configuration.slotTimeout, now >= shown.at,
           // ("how do I pay?" alone is how to buy the card's product; "¿aceptan tarjeta?" is a person's.)
           Self.wantsIt(text), !Self.asksAboutOrders(text) || Self.onlyWantsIt(text), let product = shop.index.product(sku: shown.sku) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            // Sold out: say so, and what else there is (it cheered "¡Genial! Puedes comprarlo").
            if product.stock == 0 {
                return soldOutTurn(product, line: language == .es
                    ? "*\(product.name)* está agotado por ahora, así que no se puede comprar. Si quieres, escribe *asesor* para saber cuándo vuelve."
                    : "*\(product.name)* is out of stock for now, so it can't be bought. Type *human* to ask when it's back.",
                    shown: shown, shop: shop, language: language, state: &state, now: now)
            }
            // Said again ("me la llevo" twice): the line, not the card a second time.
            if shown.buyingToldAt != nil {
                var turn = catalogAnswer(([.text(language == .es
                    ? "Para comprarlo, toca *Ver producto* en la tarjeta de arriba. Si prefieres que te atienda una persona, escribe *asesor*."
                    : "To buy it, tap *View product* on the card above. If you'd rather a person helps you, type *human*.")], "catalogo.detalle"),
                    language: language, state: &state, catalogVersion: shop.version, now: now)
                turn.state.shownProduct = shown
                return turn
            }
            let how = BotReply.text(language == .es
                ? "¡Genial! 🛍️ Puedes comprarlo en la tienda en línea: toca *Ver producto* para elegir y pagar. Si prefieres que te atienda una persona, escribe *asesor*."
                : "Great! 🛍️ You can buy it in the online shop: tap *View product* to choose and pay. If you'd rather a person helps you, type *human*.")
            var turn = catalogAnswer(([how, .product(card(product, index: shop.index, language: language))], "catalogo.detalle"),
                                     language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.shownProduct?.buyingToldAt = now
            return turn
        }
        // "me la llevo" with no card on screen: which one (it got electronics recycling, the
        // classifier's guess for "llevo").
        if let shop, replyID == nil, Self.onlyWantsIt(text) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            let rows = state.catalogBrowse.flatMap { $0.catalogVersion == shop.version ? $0.onScreen : nil } ?? []
            let line = switch (rows.count > 1, language) {
            case (true, .es): "¿Cuál? Elige uno de la lista (del 1 al \(rows.count)) o escríbeme su nombre, y te digo cómo comprarlo."
            case (true, _): "Which one? Pick one from the list (1 to \(rows.count)) or type its name, and I'll tell you how to buy it."
            case (false, .es): "¿Qué producto te quieres llevar? Escríbeme su nombre o lo que buscas, y te digo cómo comprarlo."
            case (false, _): "Which product would you like? Type its name or what you're looking for, and I'll tell you how to buy it."
            }
            let browse = state.catalogBrowse
            var turn = catalogAnswer(([.text(line)], "catalogo.buscar"), language: language, state: &state, catalogVersion: shop.version, now: now)
            turn.state.catalogBrowse = browse
            return turn
        }
        // "¿tienen batería portátil?" in a shop that sells one: the product, not how to recycle
        // batteries (skill keywords would otherwise win over the catalog). Not "¿tiene garantía?"
        // (a coffee maker's description has the word): shipping and warranty are a person's questions.
        if let shop, asksToBuy, !Self.asksAboutOrders(text), shop.index.isConfidentMatch(text), !Self.wantsToDoActivity(text, index: shop.index) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            if let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: language, state: &state,
                                        catalog: shop, now: now) {
                return catalogAnswer(answer, language: language, state: &state, catalogVersion: shop.version, now: now)
            }
        }
        // "ver más" with no list to page: the categories, to pick what to see (it got "did you mean…?").
        if let shop, replyID == nil, state.catalogBrowse == nil, Self.asksForMore(text),
           Self.normalizer.normalize(text).tokens.contains(where: { ["ver", "see", "show", "mostrar", "resultados", "results", "pagina", "page"].contains($0) }) {
            let language = router.language(of: text, previous: previous, established: languageEstablished)
            return catalogAnswer(([categoriesReply(shop.index, language: language)], "catalogo.categorias"),
                                 language: language, state: &state, catalogVersion: shop.version, now: now)
        }
        var route = router.route(text, replyID: replyID, enabledSkills: enabledSkills, language: previous, languageEstablished: languageEstablished, checkingUrgent: false)
        // A product's name copied from the (Spanish) catalog into an English chat is not the user
        // switching language (the card came back in Spanish, the next answer in English).
        if let shop, replyID == nil, languageEstablished, route.language != previous, shop.index.namesOneProduct(text) {
            route.language = previous
        }
        var routedText = text
        // A product's name typed as it is ("cuerda para saltar", "pilas recargables AA"): the
        // product, though the words also suit another skill (it got the healthy-living menu).
        // Or two close guesses of other skills ("botella térmica": glass or plastics?).
        let guessedIDs: [String] = switch route.outcome {
        case .matched(let id, _, _): [id]
        case .ambiguous(let ids): ids
        case .noMatch: []
        }
        if let shop, replyID == nil, !guessedIDs.isEmpty,
           guessedIDs.allSatisfy({ id in router.catalog.intent(id: id).map { $0.skill != "ecommerce" && $0.skill != "core" } ?? false }),
           shop.index.namesOneProduct(text),
           let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language, state: &state,
                                    catalog: shop, now: now) {
            return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "speaker", "do you have a frying pan?": a weak guess of another intent (a person, used
        // oil) when the words are the shop's products — the products (it handed the chat to a
        // person, or sent the oil card). Kept only when the search finds some.
        // Only a product's name or an explicit "do you have" ("¿cuánto tomar de agua al día?" and
        // "¿es malo dormir con audífonos?" are questions), nothing about getting rid of it, and
        // not a follow-up to the skill's card just given ("and phones?" after batteries).
        if let shop, replyID == nil, case .matched(let id, let confidence, .classifier) = route.outcome, confidence < 0.4,
           let intent = router.catalog.intent(id: id), intent.skill != "ecommerce", !Self.pleasantryIntents.contains(id),
           case let tokens = Self.normalizer.normalize(text).tokens,
           tokens.contains(where: Self.strongBuyingCues.contains) || tokens.filter({ !IntentRouter.functionWords.contains($0) }).count <= 2,
           !tokens.contains(where: Self.disposalWords.contains),
           !(Self.isFollowUp(text) && state.lastAnswer.map { now.timeIntervalSince($0.at) <= configuration.slotTimeout && $0.skill != "ecommerce" } == true),
           shop.index.isConfidentMatch(Self.withoutAsking(text)), !Self.wantsToDoActivity(text, index: shop.index) {
            var searched = state
            if let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language, state: &searched,
                                        catalog: shop, now: now), Self.showsProducts(answer.replies) {
                state = searched
                return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
            }
        }
        // "tenis para correr", "ropa para el gym", "gym shoes": something the shop sells, for an
        // activity a healthy-living word names (they got exercise tips).
        if let shop, replyID == nil, !guessedIDs.isEmpty,
           guessedIDs.allSatisfy({ id in ["healthy-living", "ecommerce"].contains(router.catalog.intent(id: id)?.skill ?? "") }),
           guessedIDs.contains(where: { id in router.catalog.intent(id: id)?.skill == "healthy-living" }),
           Self.namesProductForActivity(text, index: shop.index),
           let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language, state: &state,
                                    catalog: shop, now: now) {
            return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "un cargador para el móvil" while shopping (a list or card on screen): something to buy
        // the shop has, not how to recycle one (it got the e-waste card), unless the message says
        // it is about getting rid of it ("¿dónde tiro un cargador viejo?").
        if let shop, replyID == nil, !guessedIDs.isEmpty,
           guessedIDs.allSatisfy({ id in router.catalog.intent(id: id)?.skill == "recycling" }),
           state.catalogBrowse?.catalogVersion == shop.version || liveCard(state, shop: shop, now: now) != nil,
           !Self.normalizer.normalize(text).tokens.contains(where: Self.disposalWords.contains), shop.index.isConfidentMatch(text),
           let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language, state: &state,
                                    catalog: shop, now: now) {
            return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "¿venden pilas?" in a shop that sells none (what it sells was answered above) asks the
        // shop, not how to recycle batteries: say it has none, and show the categories.
        // "busco pilas" too: looking for something to buy (not "busco dónde reciclar pilas").
        if let shop, replyID == nil, Self.asksWhatIsSold(text) || Self.looksToBuy(text), !shop.index.queryWords(text).isEmpty,
           let skill = route.intentID.flatMap({ router.catalog.intent(id: $0) })?.skill, skill != "ecommerce", skill != "core" {
            state.catalogBrowse = nil
            return catalogAnswer(([noResults(text, index: shop.index, language: route.language)], "catalogo.buscar"),
                                 language: route.language, state: &state, catalogVersion: shop.version, now: now)
        }
        // "no entendí", "no me quedó claro" just after a skill's card: the card's lines about what
        // is asked with it ("no entendí, ¿cuántos litros?"), else its first points, shorter, and
        // what to do next (it got "👍 I'm here", or another skill's card).
        if replyID == nil, let last = state.lastAnswer, last.skill != "ecommerce", enabledSkills.contains(last.skill),
           now.timeIntervalSince(last.at) <= configuration.slotTimeout, now >= last.at, let rest = Self.afterNotUnderstood(text),
           let previous = router.catalog.intent(id: last.intentID), previous.slot == nil {
            let language = route.language
            let reply = (rest.isEmpty ? nil : cardLines(of: previous, about: rest, language: language)) ?? shorterCard(previous, language: language)
            if let reply {
                state.lastAnswer = .init(intentID: previous.id, skill: previous.skill, at: now)
                state.noMatchStreak = 0
                return Turn(replies: [.text(reply)], intentID: previous.id, language: language, state: state, handedOff: false)
            }
        }
        // "¿qué más puedo hacer?", "what else can I do?" just after a skill's card: that was the
        // card's advice; its related topics are offered (it got the help menu, "more" exercise
        // tips after sleep).
        if replyID == nil, state.pendingSlot == nil, let last = state.lastAnswer, now.timeIntervalSince(last.at) <= configuration.slotTimeout,
           now >= last.at, enabledSkills.contains(last.skill), Self.asksWhatElse(text), let previous = router.catalog.intent(id: last.intentID) {
            let buttons = offered(previous.buttons, enabledSkills: enabledSkills)
            let line = route.language == .es
                ? "Eso es lo principal que tengo sobre *\(previous.title[.es])*. Si quieres, seguimos con otro tema:"
                : "That's the main advice I have on *\(previous.title[.en])*. We can go on with another topic:"
            state.noMatchStreak = 0
            let reply: BotReply = buttons.isEmpty ? .text(line) : .buttons(body: line, buttons: buttons.map { (IntentRouter.replyIDPrefix + $0.id, $0.title[route.language]) })
            return Turn(replies: [reply], intentID: previous.id, language: route.language, state: state, handedOff: false)
        }
        // "buenas, ¿tienen mochilas?": the greeting (or thanks) carries a request; answer that.
        let pleasantry: Bool = switch route.outcome {
        case .matched(let id, _, _): Self.pleasantryIntents.contains(id)
        case .ambiguous(let ids): ids.contains(where: Self.pleasantryIntents.contains)  // "vale, ¿y el agua?"
        case .noMatch: false
        }
        if replyID == nil, pleasantry, let rest = Self.withoutPleasantries(text) {
            let inner = router.route(rest, enabledSkills: enabledSkills, language: route.language, languageEstablished: languageEstablished, checkingUrgent: false)
            // A rule (a keyword or pattern) beside the pleasantry, or the classifier's confident
            // answer when at least three words of substance are left: one or two are too little
            // ("thank you, good night" is not about sleep), a question is not ("gracias, ¿y dónde
            // tiro las botellas de vino?").
            // A follow-up ("…, ¿y para dormir?", "thanks, what about glass?") says it is a question
            // however short.
            let restTokens = Self.normalizer.normalize(rest).tokens
            let substantial = restTokens.filter { !IntentRouter.functionWords.contains($0) }.count >= 3
            let followUp = text.contains("?") && (["y", "and"].contains(restTokens.first) || restTokens.starts(with: ["what", "about"])
                || restTokens.starts(with: ["how", "about"]))
            let innerMatch: String? = switch inner.outcome {
            case .matched(let id, _, .rule): id
            case .matched(let id, _, .classifier) where substantial || followUp: id
            default: nil
            }
            if let innerID = innerMatch, !Self.pleasantryIntents.contains(innerID) {
                (route, routedText) = (RouteResult(outcome: inner.outcome, language: route.language), rest)
            } else if innerMatch != nil, case .matched(_, _, .rule) = inner.outcome {
                // Another pleasantry by a rule ("buenas noches, me voy a dormir", "me voy a dormir,
                // gracias"): that one, the goodbye (a pyjama search read "dormir" as a product).
                route = RouteResult(outcome: inner.outcome, language: route.language)
            } else if let shop, shop.index.isConfidentMatch(rest), !Self.wantsToDoActivity(rest, index: shop.index),
                      let answer = catalogTurn(text: rest, replyID: nil, intentID: "catalogo.buscar", language: route.language,
                                               state: &state, catalog: shop, now: now) {
                return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
            } else if let shop, Self.hasBuyingCue(rest), !Self.wantsToDoActivity(rest, index: shop.index) {
                // "buenas, ¿tienen zapatiyas?": a misspelt product is no confident match, but the
                // search finds it (only the greeting came back). Kept only when it finds something:
                // "hola, ¿tienes un momento?" is no search.
                var searched = state
                if let answer = catalogTurn(text: rest, replyID: nil, intentID: "catalogo.buscar", language: route.language,
                                            state: &searched, catalog: shop, now: now), Self.showsProducts(answer.replies) {
                    state = searched
                    return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
                }
            }
        }
        // "what about water bottles?", "¿y las latas?" right after glass: another answer of the
        // skill that answered last, when it has one (or two close ones to choose from) and the
        // message chose another skill only by a guess or not at all.
        if replyID == nil, let last = state.lastAnswer, enabledSkills.contains(last.skill),
           now.timeIntervalSince(last.at) <= configuration.slotTimeout, now >= last.at, Self.isFollowUp(routedText) {
            let guessed: Bool = switch route.outcome {
            case .matched(let id, _, .classifier): router.catalog.intent(id: id).map { $0.skill != last.skill && $0.skill != "core" } ?? false
            case .matched: false
            case .ambiguous, .noMatch: true
            }
            if guessed {
                let within = router.route(routedText, enabledSkills: [last.skill], language: route.language,
                                          languageEstablished: languageEstablished, checkingUrgent: false, excludingIntents: [last.intentID])
                switch within.outcome {
                case .matched, .ambiguous: route = RouteResult(outcome: within.outcome, language: route.language)
                case .noMatch: break
                }
            }
        }
        // "¿y para niños?" after the sleep card, "¿y si tienen etiqueta?" after glass: a follow-up
        // no other answer of that skill takes, about something its card says: those lines of the
        // card (it searched the shop: kids' pyjamas, "café" wallets; or got the help menu).
        if replyID == nil, let last = state.lastAnswer, last.skill != "ecommerce", enabledSkills.contains(last.skill),
           now.timeIntervalSince(last.at) <= configuration.slotTimeout, now >= last.at,
           Self.isFollowUp(routedText), !Self.hasBuyingCue(routedText) || Self.asksWhatIf(routedText),
           let previous = router.catalog.intent(id: last.intentID) {
            let offTopic: Bool = switch route.outcome {
            // The same card again ("¿y la birra hidrata?" after hydration sent it word for word).
            case .matched(let id, _, _) where id == last.intentID: true
            case .matched(let id, _, .classifier): router.catalog.intent(id: id)?.skill != last.skill
            case .matched(let id, _, _): router.catalog.intent(id: id)?.skill == "ecommerce"
            case .ambiguous, .noMatch: true
            }
            // Nothing of it in the card, a short follow-up the shop's search or nothing took
            // ("and for kids?" after hydration listed kids' clothes): the card has nothing on it.
            let searchOrNothing: Bool = switch route.outcome {
            case .matched(let id, _, _): router.catalog.intent(id: id)?.skill == "ecommerce"
            case .ambiguous(let ids): ids.contains { router.catalog.intent(id: $0)?.skill == "ecommerce" }
            case .noMatch: true
            }
            // (Its words are read only when the card's lines did not answer.)
            func nothingOnIt() -> String? {
                guard searchOrNothing else { return nil }
                let subject = Self.normalizer.normalize(routedText).tokens.filter {
                    !IntentRouter.functionWords.contains($0) && !Self.followUpFiller.contains($0) && !["y", "and", "what", "about", "how", "que", "tal"].contains($0)
                }
                return (1...3).contains(subject.count) ? noSpecificLines(previous, about: subject, language: route.language) : nil
            }
            if offTopic, let reply = cardLines(of: previous, about: routedText, language: route.language) ?? nothingOnIt() {
                state.noMatchStreak = 0
                state.fallbackCredit = 0
                state.fallbackWeight = min(1, state.fallbackWeight + configuration.fallbackIncrease)
                state.lastAnswer = .init(intentID: previous.id, skill: previous.skill, at: now)
                return Turn(replies: [.text(reply)], intentID: previous.id, language: route.language, state: state, handedOff: false)
            }
        }
        // "busco tips para correr", "looking for running tips": the classifier's guess of a search
        // (the shopping verb) gives way to the advice asked for, when no product kind is named.
        // A skill's menu guessed beside its own topics ("consejos para correr": activity, menu,
        // sleep): the topics are the better offer.
        if case .ambiguous(let ids) = route.outcome, let menu = ids.first(where: { $0.hasSuffix(".menu") }),
           let skill = router.catalog.intent(id: menu)?.skill, ids.allSatisfy({ router.catalog.intent(id: $0)?.skill == skill }) {
            let topics = ids.filter { $0 != menu }
            if topics.count >= 2 { route = RouteResult(outcome: .ambiguous(topics), language: route.language) }
            // One topic beside its skill's menu ("¿dónde reciclo un cargador?": recycling or
            // electronics?): the topic.
            if topics.count == 1 { route = RouteResult(outcome: .matched(intentID: topics[0], confidence: 0.5, via: .classifier), language: route.language) }
        }
        let guessesSearch: Bool = switch route.outcome {
        case .matched(let id, _, .classifier): router.catalog.intent(id: id)?.skill == "ecommerce"
        case .ambiguous(let ids): ids.contains { router.catalog.intent(id: $0)?.skill == "ecommerce" }  // "consejos para correr"
        default: false
        }
        if let shop, replyID == nil, guessesSearch, Self.wantsToDoActivity(routedText, index: shop.index) {
            let advice = router.route(routedText, enabledSkills: enabledSkills.subtracting(["ecommerce"]), language: route.language,
                                      languageEstablished: languageEstablished, checkingUrgent: false)
            if advice.intentID != nil || { if case .ambiguous = advice.outcome { true } else { false } }() {
                route = RouteResult(outcome: advice.outcome, language: route.language)
            }
        }
        switch route.outcome {
        case .matched(let id, _, let via):
            guard let intent = router.catalog.intent(id: id) else {
                return noMatch(route.language, state: state, enabledSkills: enabledSkills, now: now)
            }
            // "Busco zapatillas rojas talla 41. ¿Hacen envíos a Monterrey?": the products, then the
            // person for the shipping (it only handed off).
            if let shop, replyID == nil, intent.handsOff, !intent.urgent, text.utf8.count >= 30,
               let part = Self.productClause(text, index: shop.index),
               let answer = catalogTurn(text: part, replyID: nil, intentID: "catalogo.buscar", language: route.language, state: &state,
                                        catalog: shop, now: now) {
                let found = catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
                var turn = matched(intent, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
                turn.replies = found.replies + turn.replies
                return turn
            }
            // "ahora en inglés: show me jackets": the language, then what was asked (it only switched).
            if let shop, replyID == nil, let switched = intent.replyLanguage, case let parts = routedText.split(separator: ":", maxSplits: 1),
               parts.count == 2, case let rest = String(parts[1]), shop.index.isConfidentMatch(rest) {
                var turn = matched(intent, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
                if let answer = catalogTurn(text: rest, replyID: nil, intentID: "catalogo.buscar", language: switched, state: &state,
                                            catalog: shop, now: now) {
                    let found = catalogAnswer(answer, language: switched, state: &state, catalogVersion: shop.version, now: now)
                    // The switch's own line, without its "what can I help you with?" buttons.
                    turn.replies = [.text(switched == .es ? "¡Claro! Te escribo en español." : "Sure, I'll write in English.")] + found.replies
                    turn.state = found.state
                    turn.intentID = found.intentID
                }
                return turn
            }
            if let shop, intent.skill == "ecommerce" {
                // A "did you mean" button for a search carries its own title, not a query: offer
                // the categories (and ask what to look for) instead of searching "Buscar productos".
                let asked = via == .reply && (intent.id == "catalogo.buscar" || intent.id == "catalogo.detalle")
                    ? "catalogo.categorias" : intent.id
                if let answer = catalogTurn(text: routedText, replyID: via == .reply ? replyID : nil, intentID: asked, language: route.language, state: &state,
                                            catalog: shop, now: now) {
                    return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
                }
            }
            return matched(intent, language: route.language, state: &state, enabledSkills: enabledSkills, now: now)
        case .ambiguous(let ids) where shop != nil && replyID == nil
            && ids.allSatisfy({ router.catalog.intent(id: $0)?.skill == "ecommerce" }):
            // Two catalog intents are close ("¿cuánto cuestan las zapatillas?"): searching answers both.
            if let shop, let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language,
                                                  state: &state, catalog: shop, now: now) {
                return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
            }
            return noMatch(route.language, state: state, enabledSkills: enabledSkills, now: now)
        case .ambiguous(let ids):
            let options = ids.prefix(3).compactMap { router.catalog.intent(id: $0) }
            state.noMatchStreak = 0
            let body = route.language == .es ? "¿Quisiste decir…?" : "Did you mean…?"
            return Turn(replies: [.buttons(body: body, buttons: options.map { (IntentRouter.replyIDPrefix + $0.id, $0.title[route.language]) })],
                        intentID: nil, language: route.language, state: state, handedOff: false)
        case .noMatch:
            // Not a skill phrase, but maybe a product name ("zapatillas rojas talla 42").
            if let shop, replyID == nil, shop.index.isConfidentMatch(text),
               let answer = catalogTurn(text: text, replyID: nil, intentID: "catalogo.buscar", language: route.language,
                                        state: &state, catalog: shop, now: now) {
                return catalogAnswer(answer, language: route.language, state: &state, catalogVersion: shop.version, now: now)
            }
            // A link ("vi esto en instagram https://…, ¿cuánto sale?"): the bot cannot open it; the
            // product's name it can search (it got "I didn't understand").
            if let shop, replyID == nil, Self.hasLink(text) {
                return catalogAnswer(([.text(route.language == .es
                    ? "No puedo abrir enlaces. Escríbeme el nombre del producto o lo que buscas, y te lo busco en la tienda."
                    : "I can't open links. Type the product's name or what you're looking for, and I'll find it in the shop.")], "catalogo.buscar"),
                    language: route.language, state: &state, catalogVersion: shop.version, now: now)
            }

            return noMatch(route.language, state: state, enabledSkills: enabledSkills, now: now)
        }
    }

    static let normalizer = TextNormalizer()

    /// Whether every asked word is in the product's name ("¿cabe una laptop?" after the laptop
    /// backpack is about it, though "laptop" is an e-waste keyword).
    static func namesItsOwn(_ product: Product, _ words: [String]) -> Bool {
        let name = normalizer.normalize(product.name).tokens
        return words.allSatisfy { word in name.contains { sameWord(word, $0) } }
    }

    /// Whether a skill other than the shop's and `core` answers `text`, by a keyword, a pattern
    /// or the classifier ("¿es reciclable el plástico?" after a card is a recycling question).
    /// `surely`: only by a keyword, a pattern or a guess of at least 0.45 (a yes/no question about
    /// the card on screen: "¿son contra agua?" of earbuds was guessed as hydration at 0.3).
    private func answeredElsewhere(_ text: String, enabledSkills: Set<String>, language: Language, surely: Bool = false) -> Bool {
        // A keyword or a confident guess ("¿es bueno correr todos los días?" after a jacket).
        let ids: [String] = switch router.route(text, enabledSkills: enabledSkills, language: language, checkingUrgent: false).outcome {
        case .matched(let id, let confidence, let via): !surely || via != .classifier || confidence >= 0.45 ? [id] : []
        case .ambiguous(let ids): surely ? [] : ids
        case .noMatch: []
        }
        return ids.contains { id in router.catalog.intent(id: id).map { $0.skill != "ecommerce" && $0.skill != "core" } ?? false }
    }

    /// The product card on screen, when it is recent (`slotTimeout`) and of the active catalog.
    func liveCard(_ state: ConversationState, shop: ActiveCatalogIndex, now: Date) -> (ConversationState.ShownProduct, Product)? {
        guard let shown = state.shownProduct, shown.catalogVersion == shop.version, now >= shown.at,
              now.timeIntervalSince(shown.at) <= configuration.slotTimeout, let product = shop.index.product(sku: shown.sku) else { return nil }
        return (shown, product)
    }

    /// Whether `replies` show products: a card, or a list with product rows.
    static func showsProducts(_ replies: [BotReply]) -> Bool {
        replies.contains { reply in
            switch reply {
            case .list(_, _, let rows): rows.contains { $0.id.hasPrefix(CatalogReplyID.product) }
            case .product: true
            default: false
            }
        }
    }

    /// Courtesies answered even while a person has the chat; they do not hand it back to the bot.
    private static let courtesyIntents: Set<String> = ["core.gracias", "core.ok"]

    /// Intents that carry no request of their own: a request beside them is the subject.
    private static let pleasantryIntents: Set<String> = ["core.saludo", "core.gracias", "core.ok", "core.despedida"]

    /// Words that ask for something to buy: "¿tienen…?", "¿venden…?", "precio de…", "do you sell…".
    private static let buyingCues: Set<String> = [
        "tienen", "tienes", "tiene", "venden", "vendes", "vende", "precio", "precios", "cuanto", "cuesta", "cuestan", "comprar",
        "compro", "busco", "buscando", "busko", "buzco", "kiero", "qiero", "nesesito", "nececito", "disponible", "sell", "buy", "price", "prices", "cost", "costs", "much", "have", "looking",
        "available", "necesito", "ocupo", "need", "quiero", "quisiera", "want",
        // Weak alone ("¿cuánto ejercicio…?", "how much water…?"): the rule also needs most of the
        // message's other words to be the catalog's, which those questions' are not.
    ]

    /// Whether `text` asks to buy: one of `buyingCues`, a price range ("tenis hasta 1000",
    /// `PriceBound`; "hasta" alone reads as a goodbye) or a specification ("10000 mAh").
    static func hasBuyingCue(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        // "¿cuánto necesito dormir?", "¿cuánto café es mucho?", "how much sleep do I need?": how
        // much of something is good, not a price (they listed pyjamas and wallets).
        if tokens.contains(where: { ["cuanto", "cuanta", "cuantos", "cuantas"].contains($0) }) || tokens.starts(with: ["how", "much"]),
           tokens.contains(where: quantityWords.contains) {
            return false
        }
        return tokens.contains { buyingCues.contains($0) } || PriceBound.parse(text) != nil
            // A product's specification: "batería de 10000 mAh", "memoria de 64 gb" (it got
            // battery recycling).
            || zip(tokens, tokens.dropFirst()).contains { $0.0.allSatisfy(\.isNumber) && specUnits.contains($0.1) }
    }

    private static let quantityWords: Set<String> = [
        "necesito", "necesita", "necesitamos", "debo", "deberia", "debe", "deben", "recomiendan", "recomienda", "recomendable",
        "mucho", "demasiado", "demasiada", "sano", "saludable", "need", "needs", "should", "too", "healthy", "recommended",
        // "¿cuánto tomar de agua al día?", "how much to drink a day?": an amount to take, not a price.
        "tomar", "beber", "dormir", "comer", "caminar", "dia", "diario", "diaria", "semana", "drink", "eat", "sleep", "walk", "day",
        "daily", "week",
    ]

    /// Whether `text` asks what the shop sells ("¿venden pilas?", "do you sell batteries?"),
    /// which no other skill answers.
    static func asksWhatIsSold(_ text: String) -> Bool {
        normalizer.normalize(text).tokens.contains { ["venden", "vendes", "vende", "sell", "sells"].contains($0) }
    }

    /// Whether `text` says the user is looking to buy something ("busco pilas", "quiero comprar
    /// un termo", "looking for batteries"), not for advice or where to take it.
    static func looksToBuy(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        return tokens.count <= 6 && tokens.contains(where: shoppingVerbs.contains) && !tokens.contains(where: notShopping.contains)
    }

    /// Words that ask the shop for something, whatever else the message says.
    static let strongBuyingCues: Set<String> = [
        "tienen", "tienes", "venden", "vendes", "busco", "buscando", "comprar", "compro", "sell", "sells", "have", "buy", "buying", "looking",
    ]

    /// Words of getting rid of something: with one, a product word is about recycling it.
    static let disposalWords: Set<String> = [
        "reciclar", "reciclo", "reciclaje", "reciclable", "tirar", "tiro", "tiramos", "desechar", "desecho", "botar", "boto", "donde",
        "contenedor", "basura", "viejo", "vieja", "viejos", "viejas", "roto", "rota", "rotos", "rotas", "usado", "usada", "usados",
        "usadas", "gastado", "gastada", "gastadas", "gastados", "punto", "limpio", "recycle", "recycling", "throw", "dispose", "where",
        "bin", "trash", "old", "broken", "used", "dead", "sirve", "funciona", "descompuesto", "descompuesta", "estropeado", "estropeada",
        "danado", "danada", "works",
    ]

    private static let shoppingVerbs: Set<String> = ["busco", "buscando", "comprar", "compro", "buy", "buying", "looking"]
    private static let notShopping: Set<String> = [
        "consejo", "consejos", "tip", "tips", "idea", "ideas", "informacion", "info", "ayuda", "como", "donde", "reciclar", "reciclo",
        "reciclaje", "tirar", "tiro", "desechar", "desecho", "recycle", "recycling", "dispose", "throw", "where", "how", "advice", "help",
        "dormir", "sleep", "ejercicio", "exercise", "rutina", "routine",
    ]

    /// Units of a product's specification, after a number.
    private static let specUnits: Set<String> = ["mah", "gb", "tb", "mb", "w", "watts", "pulgadas", "inch", "inches", "mp", "hz", "rpm"]

    /// Whether `text` is a short follow-up that names a new subject the way "and…?" does: "¿y las
    /// latas?", "what about water bottles?", "how about cans?".
    /// Whether `text` asks for a price in another currency ("¿cuánto es en dólares?", "how much
    /// in euros?", "¿aceptan dólares?"): a currency word, no amount, a short message.
    static func asksOtherCurrency(_ text: String) -> Bool {
        // (A byte search first: this runs on most messages, and few name a currency.)
        guard text.utf8.count <= 60,
              text.containsASCII("lar") || text.containsASCII("LAR") || text.containsASCII("eur") || text.containsASCII("Eur")
                || text.containsASCII("EUR") || text.containsASCII("sd") || text.containsASCII("SD") || text.containsASCII("ringo"),
              PriceBound.parse(text) == nil else { return false }
        let tokens = normalizer.normalize(text).tokens
        return tokens.count <= 8 && tokens.contains(where: otherCurrencies.contains) && !tokens.contains(where: { $0.allSatisfy(\.isNumber) })
    }

    private static let otherCurrencies: Set<String> = ["dolares", "dolar", "dollars", "dollar", "usd", "euros", "euro", "eur", "gringos"]

    /// Whether `text` asks for more of the advice just given ("¿qué más puedo hacer?", "what
    /// else can I do?", "más consejos", "more tips"). Not "ver más" (a list's next page).
    static func asksWhatElse(_ text: String) -> Bool {
        guard text.utf8.count <= 40 else { return false }
        var tokens = normalizer.normalize(text).tokens[...]
        while let first = tokens.first, ["y", "and", "ok", "vale", "bueno", "so"].contains(first) { tokens = tokens.dropFirst() }
        return whatElsePhrases.contains(tokens.joined(separator: " "))
    }

    private static let whatElsePhrases: Set<String> = [
        "que mas puedo hacer", "que mas", "que mas hago", "que otra cosa puedo hacer", "algo mas que pueda hacer", "mas consejos",
        "otro consejo", "otros consejos", "mas tips", "otro tip", "what else", "what else can i do", "anything else i can do",
        "more tips", "more advice", "another tip", "any other tips", "other tips",
        // "more" alone after a card (it got the activity card: "move more"), "cuéntame más"
        "more", "mas", "tell me more", "cuentame mas", "dime mas", "mas info", "more info", "go on", "and more", "anything else",
    ]

    static func isFollowUp(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard tokens.count >= 2, tokens.count <= 8 else { return false }
        // "y otra cosa, ¿consejos para dormir?" says the subject changes (it got recycling again).
        let said = " " + tokens.joined(separator: " ") + " "
        if newSubjectPhrases.contains(where: { said.contains(" " + $0 + " ") }) { return false }
        return ["y", "and"].contains(tokens[0]) || tokens.starts(with: ["what", "about"]) || tokens.starts(with: ["how", "about"])
            || tokens.starts(with: ["que", "tal"])
    }

    /// The lines of `intent`'s card that speak of what the follow-up `text` asks about (its words
    /// of four letters or more, any ending: "niños", "café" → "cafeína", "etiqueta" →
    /// "etiquetas"), at most two of the best, under a line naming the card and above its closing
    /// line ("consult a professional", "rules vary by town"). Nil when no line does.
    func cardLines(of intent: Intent, about text: String, language: Language) -> String? {
        guard let card = intent.responses[language].first else { return nil }
        // The same word, or one the other starts with, or both sharing all but a letter ("sucio",
        // "sucia"), four letters at least ("a" is in no sense "alcohol").
        func alike(_ a: String, _ b: String) -> Bool {
            guard a != b else { return true }
            let shorter = min(a.utf8.count, b.utf8.count)
            guard shorter >= 4 else { return false }
            let common = zip(a.utf8, b.utf8).prefix { $0.0 == $0.1 }.count
            return common == shorter || common >= shorter - 1
        }
        let paragraphs = card.components(separatedBy: "\n\n")
        // The card's subject tells no line from another ("¿y la birra hidrata?" after hydration).
        let subject = Self.normalizer.normalize(paragraphs.first ?? "").tokens + Self.normalizer.normalize(intent.title[language]).tokens
        let asked = Set(Self.normalizer.normalize(text).tokens.filter { word in
            word.count >= 4 && !IntentRouter.functionWords.contains(word) && !Self.followUpFiller.contains(word) && !subject.contains { alike(word, $0) }
        })
        guard !asked.isEmpty else { return nil }
        let bullets = card.split(separator: "\n").map(String.init).filter { $0.hasPrefix("•") }
        let scored = bullets.map { line -> (String, Int) in
            let tokens = Self.normalizer.normalize(line).tokens
            return (line, asked.filter { word in ([word] + (Self.relatedWords[word] ?? [])).contains { option in tokens.contains { alike(option, $0) } } }.count)
        }.filter { $0.1 > 0 }
        guard let best = scored.map(\.1).max() else { return nil }
        let lines = scored.filter { $0.1 == best }.prefix(2).map(\.0)
        var reply = (language == .es ? "De lo que te conté sobre *\(intent.title[.es])*:" : "From what I told you about *\(intent.title[.en])*:")
            + "\n\n" + lines.joined(separator: "\n")
        if paragraphs.count > 2, let closing = paragraphs.last, !closing.hasPrefix("•"), !closing.contains("•") {
            reply += "\n\n" + closing
        }
        return reply
    }

    /// Words a card says for what a follow-up asks: "¿y si está sucio?" is answered by "limpios y
    /// secos", "¿y si huele feo?" by "si huele mal".
    private static let relatedWords: [String: [String]] = [
        "sucio": ["limpio", "manchado"], "sucia": ["limpio", "manchado"], "sucios": ["limpio", "manchado"], "sucias": ["limpio", "manchado"],
        "mojado": ["seco", "humedo"], "mojada": ["seco", "humedo"], "mojados": ["seco", "humedo"], "mojadas": ["seco", "humedo"],
        "huele": ["huelen", "olor"], "apesta": ["huele", "olor"], "hediondo": ["huele", "olor"], "dirty": ["clean", "greasy"],
        "greasy": ["grease", "clean"], "smells": ["smell"], "stinks": ["smell", "smells"], "wet": ["dry"],
        "bebes": ["bebe", "ninos"], "bebe": ["bebes", "ninos"], "kids": ["children", "child"], "children": ["kids", "child"],
        "cafe": ["cafeina"], "coffee": ["caffeine"], "birra": ["alcohol"], "cerveza": ["alcohol"], "vino": ["alcohol"], "beer": ["alcohol"],
        "wine": ["alcohol"], "agua": ["litros"], "verano": ["calor"], "summer": ["heat", "hot"], "invierno": ["frio"], "winter": ["cold"],
    ]

    enum ListAttribute { case sizes, colours }

    /// Whether `text` asks which sizes or colours there are, naming none ("what sizes?", "¿qué
    /// tallas hay?", "¿en qué colores?", "colours?").
    static func asksListAttribute(_ text: String) -> ListAttribute? {
        let tokens = normalizer.normalize(text).tokens
        guard (1...6).contains(tokens.count), !tokens.contains(where: { $0.allSatisfy(\.isNumber) || CatalogWords.sizes.contains($0) }),
              askedColours(text).isEmpty else { return nil }
        let rest = tokens.filter { !["que", "q", "k", "what", "which", "cuales", "hay", "tienen", "tienes", "tenes", "manejan", "there", "are", "do", "you", "have", "en", "in", "come",
                                     "they", "vienen", "las", "los", "the", "y", "and", "available", "disponibles", "manejan", "sizes", "tallas",
                                     "size", "talla", "numeros", "colores", "colors", "colours"].contains($0) }
        guard rest.isEmpty else { return nil }
        if tokens.contains(where: { ["tallas", "sizes", "numeros", "talla", "size"].contains($0) }) { return .sizes }
        if tokens.contains(where: { ["colores", "colors", "colours"].contains($0) }) { return .colours }
        return nil
    }

    /// Whether `text` asks "what if" ("¿y si tienen etiqueta?", "and if it's wet?"): no buying cue.
    static func asksWhatIf(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        return tokens.starts(with: ["y", "si"]) || tokens.starts(with: ["and", "if"]) || tokens.starts(with: ["what", "if"])
    }

    /// Whether `text` takes back a request for a person ("olvídalo, ya no quiero una persona",
    /// "ya no necesito asesor", "never mind, I don't need a human").
    static func cancelsPerson(_ text: String) -> Bool {
        // (This runs on every message: a byte search first, the regular expression only when a
        // person is named.)
        guard text.utf8.count <= 120,
              ["erson", "sesor", "uman", "gente", "gent", "perador", "perator", "ERSON", "SESOR", "UMAN", "GENT", "PERADOR", "PERATOR"]
                .contains(where: { text.containsASCII($0) }) else { return false }
        let tokens = normalizer.normalize(text).tokens
        guard tokens.count <= 12, tokens.contains(where: personWords.contains) else { return false }
        let said = tokens.joined(separator: " ")
        return said.range(of: cancelPersonPattern, options: .regularExpression) != nil
    }

    private static let personWords: Set<String> = [
        "persona", "asesor", "asesora", "humano", "agente", "operador", "person", "human", "agent", "operator",
    ]

    private static let cancelPersonPattern = #"\b((ya )?no (quiero|necesito|hace falta)( hablar con)?|cancela(r)?|(dont|do not|no longer) (need|want)( to (talk|speak) (to|with))?|never mind( the)?)( (una|un|el|la|al|a|an|the))? (persona|asesor|asesora|humano|agente|operador|person|human|agent|operator)\b"#

    /// "¿cuáles son de piel?", "¿alguna es impermeable?", "which ones are waterproof?" about a
    /// list, asked as of one product ("son de piel", "are they waterproof").
    static func asOneQuestion(_ text: String) -> String {
        let tokens = normalizer.normalize(text).tokens
        for (lead, asked) in [(["cuales", "son"], "son"), (["cual", "es"], "es"), (["alguna", "es"], "es"), (["alguno", "es"], "es"),
                              (["algunas", "son"], "son"), (["algunos", "son"], "son"), (["hay", "alguna"], "es"), (["hay", "alguno"], "es"),
                              (["which", "ones", "are"], "are they"), (["which", "are"], "are they"), (["which", "one", "is"], "is it"),
                              (["are", "any", "of", "them"], "are they"), (["is", "any", "of", "them"], "is it"), (["any", "of", "them"], "are they")]
        where tokens.starts(with: lead) {
            return asked + " " + tokens.dropFirst(lead.count).joined(separator: " ")
        }
        return text
    }

    /// What follows "no entendí", "I don't get it"… in `text` ("" when nothing does); nil when
    /// `text` does not start with one.
    static func afterNotUnderstood(_ text: String) -> String? {
        // (A byte search first: this runs on every message just after a skill's card.)
        guard ["ntend", "ntiend", "NTEND", "NTIEND", "claro", "CLARO", "omprend", "capt", "cach", "nderstand", "NDERSTAND", "get it",
               "mean", "confused", "asi", "decir", "clear"].contains(where: { text.containsASCII($0) }) else { return nil }
        let tokens = normalizer.normalize(text).tokens
        guard tokens.count <= 12 else { return nil }
        let said = tokens.joined(separator: " ")
        guard let phrase = notUnderstoodPhrases.first(where: { said == $0 || said.hasPrefix($0 + " ") }) else { return nil }
        let rest = tokens.dropFirst(phrase.split(separator: " ").count).drop { ["nada", "bien", "muy", "mucho", "eso", "that", "it", "at", "all"].contains($0) }
        return rest.joined(separator: " ")
    }

    private static let notUnderstoodPhrases: [String] = [
        "no te entendi", "no te entiendo", "no lo entendi", "no lo entiendo", "no entendi", "no entiendo", "no me quedo claro",
        "no me queda claro", "no comprendo", "no capto", "no cache", "no le entendi", "no le entiendo", "que quieres decir", "como asi",
        "i dont understand", "i didnt understand", "i dont get it", "i didnt get it", "didnt get it", "dont get it", "what do you mean",
        "im confused", "i am confused", "not clear",
    ]

    /// `intent`'s card in short: its title line, its first two points, and a line asking which
    /// part to explain (or to ask for a person). Nil for a card without points.
    func shorterCard(_ intent: Intent, language: Language) -> String? {
        guard let card = intent.responses[language].first else { return nil }
        let bullets = card.split(separator: "\n").filter { $0.hasPrefix("•") }.prefix(2)
        guard !bullets.isEmpty else { return nil }
        return (language == .es ? "Perdona, te lo resumo (*\(intent.title[.es])*):" : "Sorry, in short (*\(intent.title[.en])*):")
            + "\n\n" + bullets.joined(separator: "\n")
            + (language == .es ? "\n\n¿Qué parte te explico mejor? Si prefieres, escribe *asesor* y te atiende una persona."
                               : "\n\nWhich part should I explain better? Or type *human* and a person will help you.")
    }

    /// That `intent`'s card has nothing specific on `subject` (the follow-up's words), with its
    /// closing line, and that the shop can be searched for it.
    func noSpecificLines(_ intent: Intent, about subject: [String], language: Language) -> String? {
        guard let card = intent.responses[language].first else { return nil }
        let asked = subject.joined(separator: " ")
        let closing = card.components(separatedBy: "\n\n").last.flatMap { $0.contains("•") ? nil : $0 }
        var reply = language == .es
            ? "En lo que te conté sobre *\(intent.title[.es])* no tengo nada específico sobre “\(asked)”."
            : "What I told you about *\(intent.title[.en])* has nothing specific on “\(asked)”."
        if let closing { reply += " " + closing }
        reply += language == .es ? "\n\nSi buscas productos, escríbeme qué buscas (por ejemplo, «pijama para niño»)."
                                 : "\n\nIf you're looking for products, tell me what (for example, “kids' pyjamas”)."
        return reply
    }

    /// A follow-up's words that say nothing of its subject ("¿y eso sirve?", "¿cuánto tiempo tengo…?").
    private static let followUpFiller: Set<String> = [
        "tengo", "tiene", "tienen", "hago", "hacer", "puedo", "puede", "sirve", "sirven", "cuenta", "cuentan", "seria", "estan",
        "cosa", "cosas", "mejor", "buena", "malo", "mala", "como", "cuanto", "cuanta", "cuantos", "cuantas", "donde", "cuando",
        "porque", "pasa", "pasaria", "normal", "igual", "otro", "otra", "otros", "otras", "about", "does", "with", "them", "they",
        "those", "these", "have", "should", "would", "could", "what", "when", "where", "much", "many", "other", "same", "thing",
        "things", "also", "okay", "vale", "tal", "pues", "entonces", "ustedes", "usted", "sabes", "sabe",
    ]

    /// Whether `text` is only emoji that say "ok" or "thanks" (👍, 👌, 🙏, ✅, 👏, 🙂, 😊, ❤️, 🤝,
    /// with any skin tone).
    static func isAcknowledgementEmoji(_ text: String) -> Bool {
        var found = false
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x1F44D, 0x1F44C, 0x1F64F, 0x2705, 0x1F44F, 0x1F642, 0x1F60A, 0x2764, 0x1F91D: found = true
            case 0x1F3FB...0x1F3FF, 0xFE0F, 0x200D: continue
            default: if !scalar.properties.isWhitespace { return false }
            }
        }
        return found
    }

    /// Words that open another subject (`isFollowUp`).
    private static let newSubjectPhrases = [
        "otra cosa", "otra pregunta", "otro tema", "cambiando de tema", "aparte", "ademas", "por cierto", "another thing",
        "another question", "something else", "one more thing", "by the way", "also", "different question", "unrelated",
    ]

    /// Whether `text` is a short "I want it / how do I buy it" about the product on screen.
    static func wantsIt(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard !tokens.isEmpty, tokens.count <= 9 else { return false }
        let said = " " + tokens.joined(separator: " ") + " "
        return wantingPhrases.contains { said.contains(" " + $0 + " ") }
    }

    static let wantingPhrases: Set<String> = [
        "lo quiero", "la quiero", "los quiero", "las quiero", "me lo llevo", "me la llevo", "comprarlo", "comprarla", "comprarlos",
        "comprarlas", "lo compro", "la compro", "como compro", "donde compro", "como le hago para comprar", "pedirlo", "pedirla",
        "lo pido", "la pido", "como lo pago", "como la pago", "quiero comprar", "lo aparto", "apartarlo", "i want it", "i want this",
        "ill take it", "i will take it", "buy it", "buy this", "buy one", "how do i buy", "how can i buy", "order it", "order this",
        "how do i order", "add to cart", "how do i pay", "where do i pay",
    ]

    /// Words of a short question about a product already on screen: its price or whether there is any.
    private static let followUpCues: Set<String> = [
        "cuesta", "cuestan", "precio", "sale", "cobran", "disponible", "disponibles", "stock", "existencias",
        "quedan", "queda", "hay", "tienen", "tiene", "tienes", "have", "available", "price", "cost", "costs", "much", "left", "stock", "still",
        "talla", "tallas", "color", "colour", "colores", "medidas", "size", "sizes", "colors", "colours",
        "material", "materiales", "tela", "hecho", "hecha", "made", "talle", "talles", "marca", "brand", "mide", "miden",
        "fabricante", "fabrica", "makes", "maker", "measures", "dimensions", "medidas", "tamano", "tamanos", "big",
        "oferta", "descuento", "descuentos", "rebaja", "discount", "agotado", "agotada", "agotados", "agotadas", "sold",
        "litros", "capacidad", "capacity", "liters", "litres", "tazas", "cups",
    ]

    /// `line` about a sold-out product, then its other colours, or else other models of its kind;
    /// the card stays the subject.
    private func soldOutTurn(_ product: Product, line: String, shown: ConversationState.ShownProduct, shop: ActiveCatalogIndex, language: Language,
                             state: inout ConversationState, now: Date) -> Turn {
        let alternatives = otherColours(of: product, state: &state, catalog: shop, language: language)
        let hasList = alternatives.contains { if case .list = $0 { true } else { false } }
        let others = hasList ? alternatives : otherModels(of: product, state: &state, catalog: shop, language: language)
        var turn = catalogAnswer(([.text(line)] + others, "catalogo.detalle"), language: language, state: &state,
                                 catalogVersion: shop.version, now: now)
        turn.state.shownProduct = shown
        return turn
    }

    /// Whether `text` names a kind of product the shop sells for an activity: Spanish names the
    /// product first ("tenis para correr", "ropa de gym"), English last ("gym shoes", "yoga mat").
    /// "quiero correr", "correr en la mañana", "tips for running" name none.
    static func namesProductForActivity(_ text: String, index: CatalogSearchIndex) -> Bool {
        let tokens = Array(normalizer.normalize(text).tokens.drop(while: productRequestLeads.contains))
        guard tokens.count >= 2, tokens.count <= 6 else { return false }
        if ["para", "pa", "de", "for"].contains(tokens[1]), index.namesProductKind(tokens[0]) { return true }
        return tokens.count <= 3 && !tokens.contains(where: { ["para", "pa", "de", "for", "to", "tips", "consejos"].contains($0) })
            && index.namesProductKind(tokens[tokens.count - 1])
    }

    /// Whether `text` wants to do something healthy rather than buy something: an activity word
    /// ("necesito dormir", "quiero ir al gym", "busco tips para correr", "looking for running
    /// tips") and no kind of product the shop sells ("quiero unos tenis para correr" is a search).
    static func wantsToDoActivity(_ text: String, index: CatalogSearchIndex) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard tokens.contains(where: activityWords.contains) else { return false }
        return !tokens.contains { !activityWords.contains($0) && index.namesProductKind($0) }
    }

    private static let activityWords: Set<String> = [
        "dormir", "dormirme", "descansar", "correr", "gym", "gimnasio", "ejercicio", "ejercicios", "entrenar", "caminar", "nadar",
        "tips", "consejos", "rutina", "rutinas", "sleep", "run", "running", "workout", "exercise", "exercises", "routine", "train",
    ]

    /// Words before what is asked for: "quiero unos tenis para correr", "do you have gym shoes".
    private static let productRequestLeads: Set<String> = [
        "quiero", "quisiera", "busco", "necesito", "ocupo", "tienen", "tienes", "hay", "venden", "un", "una", "unos", "unas", "el",
        "la", "los", "las", "do", "you", "have", "sell", "any", "i", "want", "need", "a", "some", "im", "looking", "for",
    ]

    /// Whether `text` asks when a product is stocked again ("¿cuándo vuelven?", "¿la van a
    /// reponer?", "when is it back in stock?"). Words of arrival ("¿cuándo llegan?") count only
    /// for a sold-out product: of one in stock they ask about shipping, a person's question; and
    /// never with an order's words ("¿cuándo llega mi pedido?").
    static func asksRestock(_ text: String, soldOut: Bool) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard !tokens.isEmpty, tokens.count <= 10, !tokens.contains(where: { orderWords.contains($0) || ownOrderWords.contains($0) })
        else { return false }
        if tokens.contains(where: restockWords.contains) { return true }
        // "back in stock", "are they coming back?", "will you get more?" ("back" alone is not).
        if tokens.contains("back"), tokens.contains(where: { ["stock", "coming", "come", "be", "when"].contains($0) }) { return true }
        if tokens.contains("more"), tokens.contains(where: { ["get", "getting", "coming"].contains($0) }) { return true }
        // "¿cuándo llegan?", "avísame cuando lleguen", "¿y los blancos cuándo vuelven?": with nothing
        // else of substance ("¿cuándo vuelve el dolor de rodilla?" is not about stock).
        return (soldOut || tokens.contains(where: returnWords.contains)) && tokens.contains { $0 == "cuando" || $0 == "when" }
            && tokens.contains(where: arrivalWords.contains)
            && tokens.allSatisfy { IntentRouter.functionWords.contains($0) || arrivalWords.contains($0) || CatalogWords.isModifier($0)
                || restockAsides.contains($0) }
    }

    private static let restockWords: Set<String> = [
        "reponen", "repone", "reponer", "reponerla", "reponerlo", "reponerlas", "reponerlos", "reposicion", "restock", "restocked",
        "restocking", "resurten", "resurtir", "resurtido", "reabastecen", "reabastecer", "traer", "traeran",
    ]
    private static let arrivalWords: Set<String> = [
        "llegan", "llega", "llegara", "llegaran", "lleguen", "llegue", "vuelve", "vuelven", "vuelva", "vuelvan", "volvera", "volveran",
        "habra", "haya", "tendran", "tengan", "hay", "tienen", "entra", "entran", "back", "available", "disponible", "disponibles",
    ]
    /// Arrival words that are about stock whatever is left ("¿cuándo vuelven?" of one in stock:
    /// it is there now), unlike "¿cuándo llega?", which of one in stock asks about shipping.
    private static let returnWords: Set<String> = ["vuelve", "vuelven", "vuelva", "vuelvan", "volvera", "volveran", "back"]
    /// Words around a restock question: "avísame cuando lleguen de nuevo", "when will they be back again?".
    private static let restockAsides: Set<String> = [
        "cuando", "when", "avisame", "avisenme", "avisas", "avisan", "notify", "tell", "let", "know", "nuevo", "vez", "otra", "again",
        "mas", "more", "van", "will", "they", "it", "be", "y", "and", "los", "las", "lo", "la", "me", "a", "de", "in", "stock",
    ]
    /// Words of a customer's own order: "¿cuándo llega mi pedido?" is not about the card's stock.
    private static let ownOrderWords: Set<String> = ["pedido", "pedidos", "orden", "order", "paquete", "package", "compra"]

    /// Whether `text` is a short follow-up question ("¿cuánto cuesta?", "¿está disponible?", "how
    /// much is it?") naming no product of its own (the caller checks the catalog for that).
    static func asksAboutIt(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        // "vale" alone is Spain's "ok"; "¿cuánto vale?" asks the price.
        let asksPrice = tokens.contains("cuanto") && (tokens.contains("vale") || tokens.contains("valen"))
        return !tokens.isEmpty && tokens.count <= 8 && (asksPrice || tokens.contains { followUpCues.contains($0) })
    }

    /// The size a short follow-up names with no other word of substance ("¿y en 42?", "in 8?",
    /// "¿talla M?"): after a card, a size question about it (it searched "42").
    static func bareSize(_ text: String) -> String? {
        let tokens = normalizer.normalize(text).tokens
        guard (1...5).contains(tokens.count) else { return nil }
        var size: String?
        for token in tokens {
            if ["y", "en", "in", "and", "la", "el", "lo", "los", "las", "talla", "talle", "size", "numero", "number", "de", "una", "un", "a", "viene",
                "vienen", "come", "comes", "it", "hay", "tienen", "tiene", "tienes", "teneis", "tenes", "manejan", "have", "has", "do", "does",
                // "do they come in 43?", "is there a 44?", "i wear a 43", "what about XL?", "uso el 42", "calzo 38"
                "you", "they", "them", "is", "there", "theres", "any", "i", "wear", "what", "about", "uso", "calzo", "visto", "soy", "got", "del"].contains(token) { continue }
            guard size == nil, (token.count <= 3 && token.allSatisfy(\.isNumber)) || CatalogWords.sizes.contains(token) else { return nil }
            size = token
        }
        // A single letter alone ("m", "s") is too little to be a size.
        guard let size, size.count > 1 || tokens.count > 1 else { return nil }
        return size
    }

    /// "anterior", "página anterior", "previous page": the list's page before the one on screen.
    static func asksForPrevious(_ text: String) -> Bool {
        let typed = normalizer.normalize(text).tokens.joined(separator: " ")
        return ["anterior", "pagina anterior", "la pagina anterior", "la anterior", "los anteriores", "las anteriores", "ver anteriores",
                "previous", "previous page", "the previous page", "prev", "go back a page"].contains(typed) || goBackPhrases.contains(typed)
    }

    /// "back", "atrás", "regresar": the page before with a list on screen, else the menu (a
    /// spelling guess opened the power bank).
    private static let goBackPhrases: Set<String> = [
        "back", "go back", "atras", "regresar", "volver", "volver atras", "ir atras", "regresa", "vuelve",
        "volver a la lista", "regresar a la lista", "vuelve a la lista", "regresa a la lista", "ver la lista", "la lista", "back to the list",
        "go back to the list", "the list", "show the list again",
    ]

    /// Whether `text` is one of `goBackPhrases` (only short messages are normalised: this runs on every message).
    static func asksToGoBack(_ text: String) -> Bool {
        text.utf8.count <= 24 && goBackPhrases.contains(normalizer.normalize(text).tokens.joined(separator: " "))
    }

    /// The sentence of a long message that asks the shop for products ("Busco zapatillas rojas
    /// talla 41" before "¿hacen envíos?"), when one does and is not itself a question for a person.
    static func productClause(_ text: String, index: CatalogSearchIndex) -> String? {
        for clause in text.split(whereSeparator: { ".?!;¿¡\n".contains($0) }) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            guard part.utf8.count >= 8, !asksAboutOrders(part), hasBuyingCue(part), index.isConfidentMatch(part) else { continue }
            return part
        }
        return nil
    }

    /// Whether `text` holds a web link ("https://…", "www.…").
    static func hasLink(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
    }

    /// "no sé", "¿cuáles son las opciones?", "which ones?": the user wants the choices of the
    /// question asked.
    static func asksForOptions(_ text: String) -> Bool {
        let said = normalizer.normalize(text).tokens.joined(separator: " ")
        return optionPhrases.contains(said)
    }

    private static let optionPhrases: Set<String> = [
        "no se", "nose", "no lo se", "ni idea", "no sabria", "no estoy seguro", "no estoy segura", "cuales", "cuales son", "cuales hay",
        "cuales son las opciones", "que opciones hay", "que opciones", "opciones", "las opciones", "que hay", "cuales tienes", "que me recomiendas",
        "dime las opciones", "i dont know", "dont know", "idk", "not sure", "which ones", "what are the options", "options", "the options",
        "what options", "what options are there", "which", "what can i choose",
    ]

    /// Whether a short follow-up names one colour and nothing else of substance ("¿y en rojo?",
    /// "in black?"): after a card, about it or its model in that colour.
    static func bareColour(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard (1...4).contains(tokens.count) else { return false }
        let rest = tokens.filter { !["y", "en", "in", "and", "la", "el", "lo", "the", "one", "de", "color", "colour", "a", "viene", "vienen",
                                     "come", "comes", "it", "hay", "tienen", "tiene", "have", "has", "do", "does", "you"].contains($0) }
        return rest.count == 1 && !askedColours(rest[0]).isEmpty
    }

    /// Whether `text` asks about shipping, payment, returns or warranty: a person's question
    /// (`core.pedidos`), not the product's (no order is visible to the bot).
    static func asksAboutOrders(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        if tokens.contains(where: orderWords.contains) { return true }
        // "si lo compro hoy, ¿cuándo me llega?": when a purchase arrives is shipping (as the message's
        // last words; "¿cuándo me llega la ansiedad?" is not).
        let arrival: Set<String> = ["llega", "llegan", "llegaria", "llegarian", "llegara", "llegaran"]
        return tokens.count >= 3 && tokens[tokens.count - 3] == "cuando" && ["me", "nos"].contains(tokens[tokens.count - 2])
            && arrival.contains(tokens[tokens.count - 1])
    }

    /// Whether `text` asks about a warranty that `product`'s listing mentions.
    static func asksListedWarranty(_ text: String, of product: Product) -> Bool {
        guard normalizer.normalize(text).tokens.contains(where: warrantyWords.contains) else { return false }
        let listing = ([product.name, product.description ?? ""] + product.attributes.map { $0.key + " " + $0.value }).joined(separator: " ")
        return normalizer.normalize(listing).tokens.contains(where: warrantyWords.contains)
    }

    private static let warrantyWords: Set<String> = ["garantia", "warranty", "guarantee"]

    private static let orderWords: Set<String> = [
        "envio", "envios", "enviar", "envian", "mandan", "entrega", "entregan", "domicilio", "garantia", "devolucion", "devoluciones",
        "devolver", "cambio", "cambios", "reembolso", "pago", "pagos", "pagar", "tarjeta", "meses", "factura", "shipping", "ship",
        "delivery", "deliver", "warranty", "guarantee", "return", "returns", "refund", "payment", "pay", "invoice",
    ]

    /// Whether `text`, a short question, is only about `product` (or a colour or size of it):
    /// every word of it is a function word, a word of the card questions, a colour, size or
    /// number, or a word of the product's name. "how much water should I drink a day?" and "¿de
    /// qué color es el contenedor de vidrio?" ask something else (they got the card's price and
    /// colours).
    static func isOnlyAbout(_ product: Product, _ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        var name: Set<String>?
        for token in tokens where !IntentRouter.functionWords.contains(token) && !followUpCues.contains(token)
            && !aboutItWords.contains(token) && !CatalogWords.isModifier(token) && !CatalogWords.cheapWords.contains(token)
            && !CatalogWords.dearWords.contains(token) {
            if name == nil { name = Set(normalizer.normalize(product.name).tokens) }
            if !(name?.contains(token) ?? false) { return false }
        }
        return true
    }

    /// Words of questions about a product beyond `followUpCues`: question words, pronouns, verbs.
    private static let aboutItWords: Set<String> = [
        "cuanto", "cuanta", "cuantos", "cuantas", "cual", "cuales", "como", "vale", "valen", "salen", "tiene", "tienes", "tienen", "tenes", "teneis", "tendran", "tendras", "manejan",
        "hay", "viene", "vienen", "hace", "hacen", "make", "tazas", "cups",
        "la", "lo", "las", "los", "esta", "estan", "son", "sera", "seria", "de", "que", "q", "k", "en", "otro", "otra", "y", "tambien",
        "one", "ones", "it", "they", "them", "there", "does", "do", "come", "comes", "have", "has", "how", "much", "many", "is",
        "are", "which", "what", "whats", "the", "a", "in", "of", "any", "who", "makes", "quien", "es", "porfa", "please", "pls",
        "numero", "number", "color", "colores", "colour", "colours", "colors", "hecho", "hecha", "made", "modelo", "model",
        "other", "another", "else", "otros", "otras", "diferente", "diferentes", "distinto", "distinta", "mismo", "misma", "same",
        "tono", "tonos", "shade", "shades", "variantes", "options", "pocas", "pocos", "muchas", "muchos", "todavia", "aun", "on",
        "out", "cabe", "caben", "hold", "holds", "fit", "fits",
        // "i wear a 43", "what about XL?", "uso el 42", "calzo 38"
        "wear", "about", "uso", "calzo", "visto", "theres",
    ]

    /// "¿cuánto vale?", "¿cuánto sale?": the price (Spain's "vale" alone is "ok"; "sale" alone is on sale).
    static func asksPrice(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        return tokens.contains("cuanto") && tokens.contains { ["vale", "valen", "sale", "salen"].contains($0) }
    }

    /// A short "cheaper?" or "pricier?" ("¿algo más barato?", "está muy cara", "more expensive?").
    static func asksPriceChange(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        // A price of its own makes it longer: "¿tienes algo más barato que 300 pesos?".
        return (tokens.count <= 6 || (tokens.count <= 9 && PriceBound.parse(text) != nil))
            && tokens.contains { CatalogWords.cheapWords.contains($0) || CatalogWords.dearWords.contains($0) || $0 == "pricier" }
    }

    /// A question about one product's price, stock or material naming none ("¿cuánto cuesta?",
    /// "is it in stock?"): with several on screen, it needs to know which.
    static func asksAboutOne(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard !tokens.isEmpty, tokens.count <= 8, tokens.allSatisfy(aboutOneWords.contains) else { return false }
        let asksPrice = tokens.contains("cuanto") && tokens.contains(where: costVerbs.contains) || (tokens.contains("how") && tokens.contains("much"))
        return asksPrice || tokens.contains(where: aboutOneCues.contains)
    }

    private static let costVerbs: Set<String> = ["cuesta", "cuestan", "vale", "valen", "sale", "salen"]
    private static let aboutOneCues: Set<String> = [
        "precio", "stock", "existencias", "disponible", "material", "tela", "price", "cost", "costs", "available", "made",
        "agotado", "agotada", "agotados", "agotadas", "sold", "out",
    ]

    /// Every word `asksAboutOne` allows: its cues and the words around them, nothing naming a subject.
    private static let aboutOneWords: Set<String> = [
        "cuanto", "cuesta", "cuestan", "vale", "valen", "sale", "salen", "precio", "stock", "existencias", "disponible", "disponibles",
        "material", "tela", "el", "la", "los", "las", "lo", "de", "que", "y", "hay", "tienen", "tiene", "en", "esta", "estan", "es",
        "son", "su", "cual", "how", "much", "is", "it", "does", "do", "cost", "costs", "are", "they", "this", "that", "the", "one",
        "price", "in", "available", "what", "made", "of", "still", "its", "agotado", "agotada", "agotados", "agotadas", "sold", "out",
    ]

    /// Greetings and thanks that open a message ("hola", "buenas tardes", "thanks"); what follows
    /// them is the request.
    private static let pleasantries: Set<String> = [
        "hola", "holi", "holis", "buenas", "buenos", "buen", "dia", "dias", "tardes", "noches", "saludos", "que", "tal", "hey",
        "hi", "hello", "good", "morning", "afternoon", "evening", "gracias", "muchas", "thanks", "thank", "you", "ok", "okey",
        "okay", "vale", "bueno", "perfecto", "onda", "sale", "dale", "listo", "genial",
    ]

    /// The message without the greeting or thanks that opens or closes it, when something is
    /// left; nil when what is left says what the thanks is for ("gracias por la ayuda").
    static func withoutPleasantries(_ text: String) -> String? {
        let tokens = normalizer.normalize(text).tokens
        let rest = tokens.drop { pleasantries.contains($0) }.reversed().drop { pleasantries.contains($0) }.reversed()
        guard rest.count < tokens.count, let first = rest.first, first != "por", first != "for" else { return nil }
        return rest.joined(separator: " ")
    }

    /// The answer to a tapped catalog row or button the catalog cannot answer now: says so, then
    /// shows the categories (the catalog is there) or the help menu (it is not).
    private func catalogGone(replyID: String, language: Language, state: inout ConversationState, shop: ActiveCatalogIndex?,
                             enabledSkills: Set<String>, now: Date) -> Turn {
        state.catalogBrowse = nil
        if let shop {
            let notice = BotReply.text(replyID.hasPrefix(CatalogReplyID.category)
                ? (language == .es ? "Esa categoría ya no está en el catálogo de la tienda." : "That category is no longer in the shop's catalog.")
                : (language == .es ? "Eso ya no está en el catálogo de la tienda." : "That is no longer in the shop's catalog."))
            return catalogAnswer(([notice, categoriesReply(shop.index, language: language)], "catalogo.categorias"),
                                 language: language, state: &state)
        }
        // The skill is on but the shop has no catalog now, or the shop turned the skill off.
        let notice = BotReply.text(enabledSkills.contains("ecommerce")
            ? (language == .es ? "Eso ya no está en el catálogo de la tienda." : "That is no longer in the shop's catalog.")
            : (language == .es ? "Los productos de la tienda ya no están disponibles en este chat."
                               : "The shop's products are no longer available in this chat."))
        guard let help = router.catalog.intent(id: "core.ayuda"), enabledSkills.contains(help.skill) else {
            state.pendingSlot = nil
            return Turn(replies: [notice], intentID: nil, language: language, state: state, handedOff: false)
        }
        var turn = matched(help, language: language, state: &state, enabledSkills: enabledSkills, now: now)
        turn.replies.insert(notice, at: 0)
        return turn
    }

    private func catalogAnswer(_ answer: (replies: [BotReply], intent: String), language: Language,
                               state: inout ConversationState, catalogVersion: Int? = nil, now: Date? = nil) -> Turn {
        // A single product card: a follow-up question ("¿cuánto cuesta?") is about it.
        let cards = answer.replies.compactMap { reply -> String? in if case .product(let card) = reply { card.sku } else { nil } }
        if let now, cards.count == 1 {
            state.shownProduct = .init(sku: cards[0], at: now, catalogVersion: catalogVersion)
        } else if !answer.replies.isEmpty {
            state.shownProduct = nil
        }
        state.pendingSlot = nil  // a question asked before is not answered by a later message
        // Products on screen are the subject now: "¿y para niños?" after pyjamas is about them, not
        // the sleep card before.
        if !answer.replies.isEmpty { state.lastAnswer = nil }
        state.handedOffAt = nil
        state.personRequestedAt = nil
        state.personRequestedFor = nil
        state.noMatchStreak = 0
        state.fallbackCredit = 0
        state.fallbackWeight = min(1, state.fallbackWeight + configuration.fallbackIncrease)
        return Turn(replies: answer.replies, intentID: answer.intent, language: language, state: state, handedOff: false)
    }

    private func matched(_ intent: Intent, language: Language, state: inout ConversationState, enabledSkills: Set<String>,
                         now: Date) -> Turn {
        let language = intent.replyLanguage ?? language
        // "y en español?" just after a skill's card: that card again, in the language asked for (it
        // got the help menu's buttons). Not with a product card or list on screen: those stay, below.
        if intent.replyLanguage != nil, state.shownProduct == nil, state.catalogBrowse == nil,
           let last = state.lastAnswer, now.timeIntervalSince(last.at) <= configuration.slotTimeout,
           now >= last.at, enabledSkills.contains(last.skill), let previous = router.catalog.intent(id: last.intentID),
           previous.replyLanguage == nil, previous.slot == nil {
            var again = matched(previous, language: language, state: &state, enabledSkills: enabledSkills, now: now)
            again.replies.insert(.text(language == .es ? "¡Claro! Te escribo en español." : "Sure, I'll write in English."), at: 0)
            again.intentID = intent.id
            return again
        }
        state.handedOffAt = nil
        // Another subject: a later "¿cuánto cuesta?" is not about the last card, nor is a later
        // "más" about the last list. A change of language is none ("english please" then "how
        // much is it?" asked which product), nor a shipping or payment question a person answers
        // ("¿hacen envíos?" then "¿y de qué material es?" asked which product).
        // Nor an "ok" or "thanks" ("ok" then "how much?" asked which product).
        let keepsSubject = intent.replyLanguage != nil || (intent.handsOff && intent.id != Self.handOffIntent && !intent.urgent)
            || Self.courtesyIntents.contains(intent.id)
        if !keepsSubject {
            state.shownProduct = nil
            if let browse = state.catalogBrowse { state.setAsideBrowse = browse }
            state.catalogBrowse = nil
        }
        state.noMatchStreak = 0
        state.fallbackCredit = 0
        state.fallbackWeight = min(1, state.fallbackWeight + configuration.fallbackIncrease)
        state.lastAnswer = intent.skill == "core" ? nil : .init(intentID: intent.id, skill: intent.skill, at: now)
        var replies: [BotReply] = []
        let responses = intent.responses[language]
        // Rotate variants by time so repeated questions do not always get the same words.
        var text = responses.isEmpty ? intent.title[language] : responses[Int(now.timeIntervalSince1970) % responses.count]
        text = fillSkillsMenu(text, language: language, enabledSkills: enabledSkills)
        if Self.hasPlaceholder(text) {
            // Catalog templates ({query}, {categories}, {product}, {count}) are filled by the catalog
            // search; with no active catalog the bot says so instead of sending gaps.
            // The other things the bot can do here: only the skills the tenant has enabled.
            let others = router.catalog.skills.filter { enabledSkills.contains($0.id) && $0.id != "ecommerce" && $0.id != "core" }
                .compactMap { $0.menu?[language] }
            text = language == .es
                ? "Todavía no tengo el catálogo de productos de esta tienda." + (others.isEmpty ? "" : " Mientras tanto puedo ayudarte con:\n")
                : "I don't have this shop's product catalog yet." + (others.isEmpty ? "" : " Meanwhile I can help with:\n")
            text += others.joined(separator: "\n")
        }
        let buttons = offered(intent.buttons, enabledSkills: enabledSkills)
        if let slot = intent.slot {
            state.pendingSlot = .init(intentID: intent.id, name: slot.name, askedAt: now)
            replies.append(.text(text))
            if buttons.isEmpty {
                replies.append(.text(slot.ask[language]))
            } else {
                replies.append(.buttons(body: slot.ask[language], buttons: buttons.map { (IntentRouter.replyIDPrefix + $0.id, $0.title[language]) }))
            }
        } else if buttons.isEmpty {
            replies.append(.text(text))
        } else {
            replies.append(.buttons(body: text, buttons: buttons.map { (IntentRouter.replyIDPrefix + $0.id, $0.title[language]) }))
        }
        // Asking for a person always hands off, even when asked before; so does an urgent intent
        // (someone at risk) and a question only a person can answer (`hands_off`: an order's status).
        let handedOff = intent.id == Self.handOffIntent || intent.urgent || intent.handsOff
        if handedOff { state.handedOffAt = now }
        // Only a person asked for, or someone at risk, holds what comes next for that person: a
        // shipping or payment question (`hands_off`) must not silence the shopper's next ones.
        let holds = intent.id == Self.handOffIntent || intent.urgent
        state.personRequestedAt = holds ? now : nil
        state.personRequestedFor = holds ? intent.id : nil
        return Turn(replies: replies, intentID: intent.id, language: language, state: state, handedOff: handedOff)
    }

    /// The intents of `ids` the tenant has enabled, at most three (WhatsApp's reply buttons): a
    /// button to a disabled skill would lead nowhere.
    private func offered(_ ids: [String], enabledSkills: Set<String>) -> ArraySlice<Intent> {
        ids.compactMap { router.catalog.intent(id: $0) }.filter { enabledSkills.contains($0.skill) }.prefix(3)
    }

    /// `text` with `{skills}` replaced by the menu lines of the enabled skills, in catalog order
    /// with `core`'s (talking to a person) last.
    private func fillSkillsMenu(_ text: String, language: Language, enabledSkills: Set<String>) -> String {
        guard text.containsASCII("{skills}") else { return text }
        let enabled = router.catalog.skills.filter { enabledSkills.contains($0.id) }
        let lines = (enabled.filter { $0.id != "core" } + enabled.filter { $0.id == "core" }).compactMap { $0.menu?[language] }
        return text.replacingOccurrences(of: "{skills}", with: lines.joined(separator: "\n"))
    }

    /// What a message the bot cannot read was (a photo, a voice note…).
    public enum Attachment: String, Sendable, CaseIterable {
        case photo, video, audio, sticker, document, location, contact
    }

    /// How long after saying it reads only text the bot stays quiet on further attachments (the
    /// rest of an album, a few voice notes in a row).
    public static let attachmentNoticeQuiet: TimeInterval = 10 * 60

    /// The answer to a photo, voice note, sticker, file, location or contact card with no text the
    /// bot can read: it says once what it can read, then stays quiet on attachments for
    /// `attachmentNoticeQuiet`. Not counted as a message it did not understand: an album of five
    /// photos would otherwise hand the chat to a person. Quiet while a person has the chat.
    public func respond(toAttachment attachment: Attachment, language: Language, state: ConversationState, now: Date) -> Turn {
        var state = state
        let quiet = Turn(replies: [], intentID: nil, language: language, state: state, handedOff: false)
        if let at = state.handedOffAt, now.timeIntervalSince(at) <= configuration.handOffHold { return quiet }
        // (Either side of it: an album's photos may come out of order.)
        if let at = state.mediaNoticeAt, abs(now.timeIntervalSince(at)) < Self.attachmentNoticeQuiet { return quiet }
        state.mediaNoticeAt = now
        let es: [Attachment: String] = [.photo: "tu foto 📷", .video: "tu video 🎬", .audio: "tu nota de voz 🎙️", .sticker: "tu sticker",
                                        .document: "tu archivo 📄", .location: "tu ubicación 📍", .contact: "el contacto"]
        let en: [Attachment: String] = [.photo: "your photo 📷", .video: "your video 🎬", .audio: "your voice note 🎙️", .sticker: "your sticker",
                                        .document: "your file 📄", .location: "your location 📍", .contact: "the contact"]
        let text = language == .es
            ? "Recibí \(es[attachment] ?? "tu mensaje"), pero por ahora solo leo mensajes de texto. Escríbeme lo que necesitas y te ayudo."
            : "I got \(en[attachment] ?? "your message"), but for now I can only read text. Write what you need and I'll help."
        return Turn(replies: [.text(text)], intentID: nil, language: language, state: state, handedOff: false)
    }

    /// The line for a user waiting for a person: one will answer here, and "menú" comes back to the bot.
    public static func waitingNotice(_ language: Language) -> String {
        language == .es
            ? "Una persona del equipo te responderá aquí en cuanto pueda. Si mientras tanto quieres seguir conmigo, escribe *menú*."
            : "Someone from the team will answer you here as soon as they can. If you'd like to keep talking to me meanwhile, type *menu*."
    }

    private func noMatch(_ language: Language, state: ConversationState, enabledSkills: Set<String>, now: Date) -> Turn {
        var state = state
        state.noMatchStreak += 1
        if let at = state.handedOffAt {
            if now.timeIntervalSince(at) > configuration.handOffHold {
                // The hand-off is old and nobody took it: start over, so it can be asked for again.
                state.handedOffAt = nil
                state.noMatchStreak = 1
            } else {
                // A person has the conversation (asked for, or handed over): the bot keeps quiet
                // on what it does not understand — after one line saying a person will answer and
                // how to come back to the bot (again hours later, `waitingNoticeRepeat`): silence
                // alone read as a broken bot ("???" three times got nothing).
                guard state.waitingNoticeAt.map({ $0 < at || now.timeIntervalSince($0) >= configuration.waitingNoticeRepeat }) ?? true else {
                    return Turn(replies: [], intentID: nil, language: language, state: state, handedOff: false)
                }
                state.waitingNoticeAt = now
                return Turn(replies: [.text(Self.waitingNotice(language))], intentID: nil, language: language, state: state, handedOff: false)
            }
        }
        var replies: [BotReply] = []
        var handedOff = false
        if state.noMatchStreak >= configuration.handOffAfter {
            if state.handedOffAt == nil {
                state.handedOffAt = now
                handedOff = true
                replies.append(.text(language == .es
                    ? "No logro entenderte. Le he pedido a una persona del equipo que continúe la conversación contigo."
                    : "I can't understand you, sorry. I've asked a person from the team to continue this conversation."))
            }
        } else if state.noMatchStreak == 1 {
            replies.append(helpMenu(language, enabledSkills: enabledSkills))
            state.fallbackCredit = 0
        } else {
            state.fallbackCredit += state.fallbackWeight
            state.fallbackWeight *= configuration.fallbackDecrease
            if state.fallbackCredit >= 1 {
                state.fallbackCredit -= 1
                replies.append(.text(language == .es
                    ? "Perdona, no te he entendido. Escribe *ayuda* para ver lo que puedo hacer."
                    : "Sorry, I didn't get that. Type *help* to see what I can do."))
            }
        }
        return Turn(replies: replies, intentID: handedOff ? Self.handOffIntent : nil, language: language, state: state,
                    handedOff: handedOff)
    }

    static func hasPlaceholder(_ text: String) -> Bool {
        text.containsASCII("{") && (text.containsASCII("{query}") || text.containsASCII("{categories}")
            || text.containsASCII("{product}") || text.containsASCII("{count}"))
    }

    /// The help menu (the `core.ayuda` intent when the catalog has it).
    private func helpMenu(_ language: Language, enabledSkills: Set<String>) -> BotReply {
        if let help = router.catalog.intent(id: "core.ayuda") {
            let text = fillSkillsMenu(help.responses[language].first ?? help.title[language], language: language,
                                      enabledSkills: enabledSkills)
            let buttons = offered(help.buttons, enabledSkills: enabledSkills)
            let intro = language == .es ? "No estoy seguro de haberte entendido. " : "I'm not sure I understood. "
            if buttons.isEmpty { return .text(intro + text) }
            return .buttons(body: intro + text, buttons: buttons.map { (IntentRouter.replyIDPrefix + $0.id, $0.title[language]) })
        }
        return .text(language == .es ? "No te he entendido." : "I didn't understand.")
    }
}

extension String {
    /// Whether `needle` (ASCII) occurs in this string, compared byte by byte: Foundation's
    /// `contains` goes through `NSString` and was ~2 % of the server's CPU on the reply path.
    package func containsASCII(_ needle: StaticString) -> Bool {
        let n = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        return utf8.withContiguousStorageIfAvailable { ByteSearch.firstIndex(of: n, in: UnsafeRawBufferPointer($0)) != nil }
            ?? { var copy = self; copy.makeContiguousUTF8(); return copy.containsASCII(needle) }()
    }
}
