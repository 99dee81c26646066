/// Tells Spanish from English in a short message.
///
/// Evidence, counted for each language: Spanish-only characters (`¿ ¡ ñ` and accented vowels),
/// common words that belong to one language only (`que`, `quiero`, `gracias` / `the`, `want`,
/// `thanks`), and a few word endings (`-cion`, `-mente` / `-ing`, `-tion`). The language with
/// at least one point more evidence wins; otherwise the user's previous language is kept, so
/// `ok`, `menu` or `👍` never switch a conversation's language, and neither does a lone word
/// ending (`Zapatillas Running` is a product name, not English).
public struct LanguageDetector: Sendable {
    /// English words of the skills (`englishSubjectWords(of:)`), weighed as the bot's subjects are
    /// (`loanwords`): English alone on a first message, half a word in a chat with a language.
    let subjectWords: Set<String>

    public init() { subjectWords = [] }

    /// A detector that also knows the English words of `catalog`'s skills ("recycling", "plastic",
    /// "nutrition" alone, as a first message, had Spanish answers).
    public init(catalog: SkillCatalog, normalizer: TextNormalizer = TextNormalizer()) {
        subjectWords = Self.englishSubjectWords(of: catalog, normalizer: normalizer)
    }

    /// The words of `catalog`'s English keywords ("old electronics", "styrofoam") and its one-word
    /// English examples ("recycling", "hydration"), less every word of a Spanish example, keyword or
    /// not-phrase ("pet", "menu", "compost", "laptop" are Spanish too) and the Spanish words below.
    /// (Not every word of the English examples: "Canada" or "AA" are not English alone.)
    static func englishSubjectWords(of catalog: SkillCatalog, normalizer: TextNormalizer = TextNormalizer()) -> Set<String> {
        var english = Set<String>()
        var spanish = spanishWords
        for intent in catalog.intents {
            for text in intent.keywords.en { english.formUnion(normalizer.normalize(text).tokens) }
            for text in intent.examples.en {
                let tokens = normalizer.normalize(text).tokens
                if tokens.count == 1 { english.insert(tokens[0]) }
            }
            for text in intent.examples.es + intent.keywords.es + intent.notPhrases.es {
                spanish.formUnion(normalizer.normalize(text).tokens)
            }
        }
        // Digits and single letters tell nothing.
        return english.subtracting(spanish).filter { $0.count > 1 && !$0.allSatisfy(\.isNumber) }
    }

    /// The language of `text`; `previous` when the text gives no clear sign.
    public func detect(_ text: String, previous: Language = .default) -> Language {
        detect(text, normalized: TextNormalizer().normalize(text), previous: previous)
    }

    /// As `detect(_:previous:)`, reusing text already normalised.
    /// `established`: whether `previous` is the user's own (false for a first message, whose
    /// `previous` is only the default): loanwords weigh half only against a language the user has
    /// shown, so "help" from a new user is English, and "bye" from a Spanish one stays Spanish.
    public func detect(_ text: String, normalized: NormalizedText, previous: Language = .default, established: Bool = true) -> Language {
        let (es, en) = scores(text, normalized: normalized, loanwordWeight: established ? 0.5 : 1)
        if es - en >= 1 { return .es }
        if en - es >= 1 { return .en }
        return previous
    }

    /// The evidence for Spanish and for English.
    func scores(_ text: String, normalized: NormalizedText, loanwordWeight: Double = 0.5) -> (es: Double, en: Double) {
        var es = 0.0
        var en = 0.0
        var accents = 0
        for scalar in text.unicodeScalars where scalar.value >= 0xA1 {
            switch scalar.value {
            case 0xBF, 0xA1: es += 2                                     // ¿ ¡
            case 0xD1, 0xF1: es += 1.5                                   // Ñ ñ
            case 0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xC1, 0xC9, 0xCD, 0xD3, 0xDA: accents += 1
            default: break
            }
        }
        es += Double(min(accents, 3))
        for token in normalized.tokens {
            if Self.spanishWords.contains(token) { es += 1 }
            else if Self.englishWords.contains(token) { en += Self.loanwords.contains(token) ? loanwordWeight : 1 }
            else if subjectWords.contains(token) || Self.catalogEnglish.contains(token) { en += loanwordWeight }
            else if token.count > 5 {
                if token.hasSuffix("cion") || token.hasSuffix("mente") || token.hasSuffix("ciones") { es += 0.5 }
                else if token.hasSuffix("ing") || token.hasSuffix("tion") || token.hasSuffix("tions") { en += 0.5 }
            }
        }
        return (es, en)
    }

    /// The English product words the catalog search translates (`CatalogWords.spanishFor`:
    /// "suitcase", "sandals", "lamp"), less those Spanish writes too ("monitor", "red", "pan"):
    /// weighed as the bot's subjects ("suitcase" as a first message had Spanish answers).
    static let catalogEnglish: Set<String> = {
        var words = Set<String>()
        for (english, spanish) in CatalogWords.spanishFor where !spanish.contains(english) && english.count > 2 {
            words.insert(english)
            words.insert(english + "s")
            if english.hasSuffix("ch") || english.hasSuffix("sh") || english.hasSuffix("s") || english.hasSuffix("x") { words.insert(english + "es") }
        }
        // (The table also maps regional Spanish names to each other: "remera", "bamba".)
        let spanish = ["bamba", "zapatilla", "tenis", "playera", "camiseta", "remera", "polera"].flatMap { [$0, $0 + "s"] }
        return words.subtracting(spanishWords).subtracting(spanish).subtracting(["red", "pan", "son", "come", "base", "sale", "once", "mango", "chile", "solo", "me"])
    }()

    /// Frequent Spanish words that are not also English words (so `no`, `me`, `a` are absent).
    static let spanishWords: Set<String> = [
        "el", "la", "los", "las", "un", "una", "unos", "unas", "lo", "del", "al", "de", "que", "y", "en", "es",
        "por", "para", "con", "sin", "pero", "como", "cuando", "donde", "cual", "cuales", "quien", "cuanto",
        "cuanta", "cuantos", "cuantas", "porque", "mi", "mis", "tu", "tus", "su", "sus", "te", "se", "nos", "yo",
        "usted", "ustedes", "ella", "ellos", "esto", "este", "esta", "estos", "estas", "eso", "ese", "esa", "hay",
        "son", "soy", "estoy", "tengo", "tiene", "tienen", "tienes", "quiero", "quisiera", "necesito", "puedo",
        "puedes", "puede", "hacer", "hago", "ver", "saber", "sobre", "tambien", "muy", "mas", "algo", "nada",
        "hola", "gracias", "buenos", "buenas", "dias", "tardes", "noches", "adios", "ayuda", "favor", "si",
        "cuesta", "precio", "pedido", "comprar", "quieres", "hasta", "luego", "bien",
        "vale", "claro", "pues", "ahora", "hoy", "manana", "ayer", "mucho", "muchas", "poco", "otra", "otro",
        "todo", "todos", "cosa", "cosas", "vez", "ser", "estar", "ir", "voy", "va", "van", "dame",
        "dime", "hablar", "persona", "comida", "reciclar", "basura", "envio", "horario", "ubicacion",
        // A shopper's words with no English twin: "zapatos" or "siguiente" alone after an English
        // "hi" had English answers. (Product names stay out: "Zapatillas Running" names a product.)
        "siguiente", "anterior", "zapato", "zapatos", "mochila", "mochilas", "vestido", "vestidos", "camisa", "camisas",
        "playera", "playeras", "pantalon", "pantalones", "chamarra", "chamarras", "bolsa", "bolsas", "cartera", "carteras",
        "juguete", "juguetes", "barato", "barata", "baratos", "baratas", "talla", "tienda", "ropa", "audifonos", "reloj",
        "relojes", "botas", "regalo", "busco", "buscando",
        // One point, against half a point for an English word of the bot's subjects in a chat
        // with a language: "zapatillas running" from a new user was answered in English, and
        // "Zapatillas Running" copied into an English chat still stays English.
        "zapatilla", "zapatillas", "tenis", "gorra", "gorras", "lentes", "cafetera", "maleta", "maletas", "pijama", "pijamas",
        "sudadera", "sudaderas", "mancuernas",
    ]

    /// English words Spanish speakers write too ("ok bye", "help", "thanks!"): half the weight of
    /// another English word, so alone they never switch a Spanish conversation to English.
    static let loanwords: Set<String> = [
        "bye", "thanks", "please", "help",
        // The bot's subjects: a Spanish speaker writes "stress" too; full weight only on a first message.
        "sleep", "water", "battery", "batteries", "glass", "plastic", "plastics", "paper", "cardboard", "recycle", "stress",
        "food", "exercise", "oil", "trash", "waste",
        // What shoppers ask for, likewise ("sneakers" alone had got a Spanish answer; "soccer
        // ball" and "baseball cap" as a first message too).
        "sneaker", "sneakers", "backpack", "backpacks", "dress", "dresses", "shoe", "shoes", "jacket", "jackets", "wallet",
        "watch", "toy", "toys", "boots", "headphones", "earbuds", "hoodie", "shirt", "shirts", "tshirt", "bag", "bags", "charger",
        "cap", "caps", "hat", "hats", "ball", "soccer", "baseball", "rope", "jump", "gift", "gifts", "girlfriend", "boyfriend",
        "sunglasses", "cheap", "cheaper", "women", "womens", "mens", "kids", "blue", "black", "white", "green", "pink", "grey",
        "brown", "yellow", "purple",
    ]

    /// Frequent English words that are not also Spanish words.
    static let englishWords: Set<String> = [
        // The bot's subjects, so a one-word first message ("sleep", "batteries") is read as English.
        "sleep", "water", "battery", "batteries", "glass", "plastic", "plastics", "paper", "cardboard", "recycle", "stress",
        "food", "exercise", "oil", "trash", "waste",
        "sneaker", "sneakers", "backpack", "backpacks", "dress", "dresses", "shoe", "shoes", "jacket", "jackets", "wallet",
        "watch", "toy", "toys", "boots", "headphones", "earbuds", "hoodie", "shirt", "shirts", "tshirt", "bag", "bags", "charger",
        "cap", "caps", "hat", "hats", "ball", "soccer", "baseball", "rope", "jump", "gift", "gifts", "girlfriend", "boyfriend",
        "sunglasses", "cheap", "cheaper", "women", "womens", "mens", "kids", "blue", "black", "white", "green", "pink", "grey",
        "brown", "yellow", "purple",
        "the", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "without", "from", "by", "about",
        "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "dont", "doesnt", "have", "has",
        "had", "can", "could", "would", "should", "will", "want", "need", "like", "get", "i", "im", "my", "you",
        "your", "it", "its", "this", "that", "these", "those", "what", "whats", "which", "who", "where", "when",
        "why", "how", "much", "many", "some", "any", "there", "here", "hi", "hello", "hey", "thanks", "thank",
        "please", "yes", "bye", "goodbye", "good", "morning", "afternoon", "evening", "night", "help", "talk",
        "human", "person", "order", "price", "buy", "shipping", "hours", "open", "recycle", "trash",
        "food", "healthy", "more", "just", "not", "but", "if", "so", "we", "they", "our", "their", "tell",
        "show", "give", "know", "see", "one", "all", "out", "up", "now", "today", "tomorrow",
        // Short English messages, urgent ones too ("cant breathe properly", "kms" had Spanish answers).
        "cant", "wont", "didnt", "isnt", "arent", "wasnt", "really", "feel", "feeling", "been", "lately", "properly", "breathe",
        "breathing", "anymore", "myself", "kms", "kys", "nobody", "anyone", "someone", "tips", "hii", "hlo", "gday", "notice", "would",
        "empty", "weeks", "tho", "pls", "plz", "thx", "doing", "going", "gonna", "wanna",
    ]
}
