/// The word rules of catalog search, over `TextNormalizer` tokens (lowercase, no accents):
/// stop words, singular forms and the masculine/feminine pairs of adjectives.
enum CatalogWords {
    /// Chat and function words (Spanish and English) that never narrow a product search: a whole
    /// message like "¿tienen zapatillas rojas talla 42?" searches for `zapatillas rojas 42`.
    /// Size and colour *labels* are here too ("talla", "color"): the values carry the meaning.
    /// Stop words that are also product names once accents are gone, with the accented form
    /// that names the product ("te" is a pronoun, "té" is tea): kept when a product's name, tags
    /// or category has them, and in a query that writes the accented form.
    static let productStopWords: [String: String] = ["te": "té"]
    /// Stop words that are product words too, accents or not ("Caja de colores", "Cerveza
    /// Modelo", "Sobre manila", "Botines de ante"): kept when a product's name, tags or category
    /// has them, and then kept in every query.
    static let productWordsAmongStopWords: Set<String> = ["ante", "sobre", "sobres", "modelo", "modelos", "colores", "marca"]

    static let stopWords: Set<String> = [
        // Spanish: articles, pronouns, prepositions, conjunctions
        "a", "al", "ante", "con", "como", "cual", "cuales", "de", "del", "desde", "e", "el", "ella", "ellas", "ellos",
        "en", "entre", "es", "esa", "esas", "ese", "eso", "esos", "esta", "estas", "este", "esto", "estos", "hasta",
        "la", "las", "le", "les", "lo", "los", "me", "mi", "mis", "ni", "no", "nos", "o", "para", "pero", "por",
        "que", "se", "si", "sin", "sobre", "su", "sus", "te", "tu", "tus", "u", "un", "una", "unas", "uno", "unos",
        "usted", "ustedes", "y", "ya", "yo", "muy", "mas", "otro", "otra", "otros", "otras", "tambien", "aqui",
        // Spanish: asking, wanting, showing, having, selling
        "algo", "alguien", "algun", "alguna", "algunas", "alguno", "algunos", "ando", "anda", "busca", "buscaba",
        "buscamos", "buscan", "buscando", "buscar", "busco", "busko", "buzco", "kiero", "qiero", "nesesito", "nececito", "compra", "comprar", "compraria", "cuanto", "cuanta",
        "cuantos", "cuantas", "cuesta", "cuestan", "dame", "denme", "donde", "disponible", "disponibles", "encontrar",
        "ensename", "ensenar", "estoy", "estan", "favor", "gustaria", "hay", "habra", "interesa",
        "interesan", "manejan", "manejas", "maneja", "mostrar", "muestra", "muestrame", "muestran", "muestren",
        "necesito", "necesitaria", "necesitamos", "ofrecen", "ofreces", "podria", "podrian", "puede", "pueden",
        "puedes", "porfa", "porfavor", "precio", "precios", "queda", "quedan", "queria", "quiero", "quisiera",
        "quieres", "quiere", "tendran", "tendras", "tendra", "tenes", "tengo", "tiene", "tienen", "tienes",
        "vende", "venden", "vendes", "ver", "veo", "vi", "ahora", "paso", "pasamos", "pasare", "voy", "vamos", "hola", "buenas", "buenos", "dias", "tardes", "noches", "manana", "luego", "pronto",
        "gracias", "oye", "oiga", "quiza", "tal", "vez", "cosa", "cosas", "producto", "productos", "articulo",
        "articulos", "tienda", "catalogo", "talla", "tallas", "numero", "color", "colores", "tamano", "modelo",
        "modelos", "marca", "tipo", "ahi", "alli", "todo", "todos", "toda", "todas", "cualquier",
        // English
        "an", "and", "any", "anything", "are", "at", "be", "buy", "can", "carry", "could", "do", "does", "find",
        "for", "from", "get", "got", "have", "hello", "hey", "hi", "how", "i", "id", "im", "in", "is", "it",
        "ive", "like", "looking", "look", "much", "my", "need", "of", "on", "or", "please", "pls", "price",
        "prices", "cost", "sell", "selling", "show", "some", "something", "search", "searching", "the", "there",
        "these", "this", "those", "to", "want", "what", "whats", "which", "with", "would", "you", "your", "size",
        "sizes", "colour", "colours", "store", "shop", "product", "products", "item", "items", "after", "available",
        "interested", "thanks", "thank", "wanna", "wanted", "by", "about", "just", "one", "now", "then", "also",
        // Labels, ages, fillers and slang that name no product ("¿tenés en talle M?", "para un
        // niño de 5 años", "algo chido pa la casa", "what sizes does it come in?")
        "talle", "talles", "material", "materiales", "ano", "anos", "mes", "meses", "year", "years", "old", "month", "months",
        "pa", "pal", "chido", "chida", "chidos", "chidas", "onda", "listo", "come", "comes", "made", "hecho", "hecha",
        "tenes", "teneis", "tendreis",
    ]

    /// The word every product with a sale price below its price is found by, as if it were a tag.
    static let onSale = "oferta"

    /// Query words that mean `onSale`.
    static let onSaleWords: Set<String> = [
        "oferta", "ofertas", "descuento", "descuentos", "rebaja", "rebajas", "rebajado", "rebajados", "rebajada",
        "rebajadas", "promocion", "promociones", "promo", "promos", "liquidacion", "outlet", "sale", "discount",
        "discounted", "deal", "deals", "offer", "offers",
    ]

    /// Spanish adjectives (without their final -o/-a) whose genders are the same for a shopper:
    /// "rojas" finds a product whose colour is "rojo". Nouns are not folded ("plata" is not "plato",
    /// "niña" is not "niño").
    static let adjectiveStems: Set<String> = [
        "roj", "negr", "blanc", "amarill", "morad", "rosad", "dorad", "platead", "anaranjad", "oscur", "clar",
        "larg", "cort", "nuev", "usad", "pequen", "bonit", "barat", "deportiv", "inalambric", "electric", "clasic",
        "modern", "comod", "liger", "redond", "cuadrad", "alt", "baj", "anch", "estrech", "delgad", "grues", "fin",
        "lis", "lind", "elastic", "termic", "plastic", "metalic", "ecologic", "organic", "basic", "practic",
        "sencill", "median", "perfumad", "acolchad", "ajustad", "holgad", "rayad", "estampad", "bordad", "tejid",
        "impres", "hermos", "precios", "lujos", "acuatic", "viej", "blind", "brillos", "mojad", "sec", "suelt",
        "abiert", "cerrad", "llen", "vaci", "solid", "automatic", "analogic", "magnetic",
    ]

    /// Colour words whose form does not change with gender (the others are in `adjectiveStems`).
    static let colours: Set<String> = [
        "azul", "verde", "gris", "rosa", "naranja", "marron", "beige", "celeste", "violeta", "turquesa", "lila",
        "fucsia", "mostaza", "caqui", "marino", "olivo", "oliva", "nude", "multicolor",
        "red", "blue", "black", "white", "green", "yellow", "grey", "gray", "pink", "purple", "orange", "brown", "navy",
    ]

    /// English shopping words (singular) and the Spanish words a Spanish catalog names the same
    /// things with: "dress" finds "Vestido…", "jackets" the "Chaquetas" (before, only products
    /// with English tags were found: "backpacks" 2 of 5 backpacks, "dress" a French press by a
    /// spelling guess). A match through a translation counts 0.9 of an exact one.
    static let spanishFor: [String: [String]] = [
        // shop departments
        "electronic": ["electronica", "electronico"], "home": ["hogar", "casa"], "beauty": ["belleza"], "accessory": ["accesorio"],
        "footwear": ["calzado"], "perfume": ["perfume"],
        // clothes and shoes
        "dress": ["vestido"], "jacket": ["chaqueta", "chamarra", "cazadora"], "coat": ["abrigo"], "shirt": ["camisa", "playera", "camiseta"],
        "tshirt": ["playera", "camiseta"], "tee": ["playera", "camiseta"], "blouse": ["blusa"], "pant": ["pantalon"], "pants": ["pantalon"],
        "trouser": ["pantalon"], "skirt": ["falda"],
        "sweater": ["sueter", "sudadera"], "hoodie": ["sudadera"], "sweatshirt": ["sudadera"], "sock": ["calcetin", "calceta"],
        "pajama": ["pijama"], "pyjama": ["pijama"], "swimsuit": ["traje", "bano"], "underwear": ["ropa", "interior"],
        "clothe": ["ropa"], "clothing": ["ropa"], "shoe": ["zapato", "zapatilla", "tenis", "calzado"], "sneaker": ["tenis", "zapatilla"],
        "trainer": ["tenis", "zapatilla"], "boot": ["bota", "botin"], "sandal": ["sandalia"], "slipper": ["pantufla"],
        "hat": ["sombrero", "gorro", "gorra"], "cap": ["gorra"], "beanie": ["gorro"], "scarf": ["bufanda"], "glove": ["guante"],
        "belt": ["cinturon"], "wallet": ["cartera", "billetera"], "purse": ["bolsa", "bolso", "cartera"], "handbag": ["bolsa", "bolso"],
        "bag": ["bolsa", "bolso", "mochila"], "backpack": ["mochila"], "suitcase": ["maleta"], "umbrella": ["paraguas", "sombrilla"],
        "watch": ["reloj"], "sunglasses": ["lentes", "gafas"], "glasses": ["lentes", "gafas"], "necklace": ["collar"], "ring": ["anillo"],
        "earring": ["arete", "pendiente"], "bracelet": ["pulsera"], "jewelry": ["joyeria"], "jewellery": ["joyeria"],
        // electronics
        "headphone": ["audifonos", "auriculares"], "earphone": ["audifonos", "auriculares"], "earbud": ["audifonos"],
        "speaker": ["bocina", "altavoz"], "charger": ["cargador"], "phone": ["celular", "telefono"], "cellphone": ["celular"],
        "case": ["funda"], "cover": ["funda"], "keyboard": ["teclado"], "computer": ["computadora"], "screen": ["pantalla"],
        "monitor": ["monitor"], "camera": ["camara"], "battery": ["bateria", "pila"], "light": ["luz", "lampara"], "lamp": ["lampara"],
        // home and kitchen
        "kitchen": ["cocina"], "fryingpan": ["sarten"], "frying": ["sarten"], "pan": ["sarten"], "luggage": ["maleta"], "skillet": ["sarten"], "pot": ["olla"], "blender": ["licuadora"], "coffee": ["cafetera"],
        "mug": ["taza"], "cup": ["taza", "vaso"], "glass": ["vaso"], "bottle": ["botella"], "water": ["agua"], "flask": ["botella", "termo"], "pjs": ["pijama"], "pj": ["pijama"], "jammies": ["pijama"], "plate": ["plato"], "knife": ["cuchillo"],
        "towel": ["toalla"], "pillow": ["almohada"], "blanket": ["cobija", "manta"], "sheet": ["sabana"], "chair": ["silla"],
        "table": ["mesa"], "candle": ["vela"], "plant": ["planta"],
        // beauty and health
        "fragrance": ["perfume", "fragancia"], "cologne": ["perfume", "colonia"], "lipstick": ["labial"], "makeup": ["maquillaje"],
        "sunscreen": ["protector", "bloqueador"], "cream": ["crema"], "soap": ["jabon"], "toothbrush": ["cepillo"], "brush": ["cepillo"],
        // toys, books, sport
        "toy": ["juguete"], "game": ["juego"], "puzzle": ["rompecabezas"], "doll": ["muneca"], "ball": ["pelota", "balon"],
        "book": ["libro"], "notebook": ["cuaderno", "libreta"], "pen": ["pluma", "boligrafo"], "bike": ["bicicleta"],
        "bicycle": ["bicicleta"], "yoga": ["yoga"], "mat": ["tapete"], "dumbbell": ["mancuerna"], "gift": ["regalo"], "present": ["regalo"],
        "baseball": ["beisbol"], "soccer": ["futbol"], "football": ["futbol"], "basketball": ["basquetbol", "baloncesto"],
        "rope": ["cuerda"], "jump": ["saltar"], "skipping": ["saltar"],
        // who it is for, colours, materials
        "women": ["mujer", "dama"], "woman": ["mujer", "dama"], "womens": ["mujer", "dama"], "men": ["hombre", "caballero"],
        "man": ["hombre", "caballero"], "mens": ["hombre", "caballero"], "kid": ["nino", "nina", "infantil"],
        "child": ["nino", "nina", "infantil"], "children": ["nino", "nina", "infantil"], "baby": ["bebe"], "girl": ["nina"], "boy": ["nino"],
        "girlfriend": ["novia"], "boyfriend": ["novio"], "wife": ["esposa"], "husband": ["esposo"], "mom": ["mama"], "mum": ["mama"],
        "mother": ["mama", "madre"], "dad": ["papa"], "father": ["papa", "padre"], "sister": ["hermana"], "brother": ["hermano"],
        "friend": ["amigo", "amiga"],
        "red": ["rojo"], "blue": ["azul"], "black": ["negro"], "white": ["blanco"], "green": ["verde"], "yellow": ["amarillo"],
        "pink": ["rosa"], "grey": ["gris"], "gray": ["gris"], "brown": ["cafe", "marron"], "purple": ["morado"], "orange": ["naranja"],
        "navy": ["marino"], "gold": ["dorado"], "silver": ["plateado"], "leather": ["piel", "cuero"], "wool": ["lana"],
        "cotton": ["algodon"], "wireless": ["inalambrico"], "waterproof": ["impermeable"], "rain": ["lluvia"], "running": ["correr"],
        "sport": ["deportivo", "deporte"], "hiking": ["senderismo", "montana"], "school": ["escolar"],
    ]

    /// Words of one Spanish-speaking country for what a catalog of another names otherwise
    /// ("deportivas" in Spain are "tenis" in Mexico, a "móvil" is a "celular"), both ways where
    /// both are nouns. A match through one counts 0.9 of an exact one, as `spanishFor`'s do.
    static let regionalSynonyms: [String: [String]] = [
        "bamba": ["tenis", "zapatilla"], "zapatilla": ["tenis"], "tenis": ["zapatilla"],
        "playera": ["camiseta"], "camiseta": ["playera"], "remera": ["camiseta", "playera"], "polera": ["camiseta", "playera"],
        "chamarra": ["chaqueta", "cazadora"], "chaqueta": ["chamarra"], "cazadora": ["chaqueta", "chamarra"], "campera": ["chaqueta", "chamarra"],
        "jersey": ["sueter", "sudadera"], "sueter": ["jersey"], "chompa": ["sueter", "sudadera"],
        "gafa": ["lentes"], "lente": ["gafas"], "anteojo": ["lentes", "gafas"],
        "movil": ["celular", "telefono"], "celular": ["movil"], "ordenador": ["computadora"], "computadora": ["ordenador"],
        "portatil": ["laptop", "computadora"], "laptop": ["portatil"],
        "auricular": ["audifonos"], "audifono": ["auriculares"],
        "altavoz": ["bocina"], "bocina": ["altavoz"], "bolso": ["bolsa"], "cartera": ["billetera"], "billetera": ["cartera"],
        "vaquero": ["jeans", "mezclilla"], "tejano": ["jeans", "mezclilla"],
        "banador": ["traje", "bano"], "calceta": ["calcetin"], "calcetin": ["calceta"],
        "nevera": ["refrigerador"], "heladera": ["refrigerador"], "frigorifico": ["refrigerador"],
        "cobija": ["manta"], "manta": ["cobija"], "frazada": ["cobija", "manta"],
        "pluma": ["boligrafo"], "boligrafo": ["pluma"], "lapicero": ["pluma", "boligrafo"],
        "gorra": ["cachucha"], "cachucha": ["gorra"],
        "pileta": ["alberca"], "piscina": ["alberca"], "alberca": ["piscina"],
        "casa": ["hogar"], "pesa": ["mancuerna"], "chancla": ["sandalia"], "chancleta": ["sandalia"], "shampoo": ["champu"],
        "pantaloneta": ["short", "bermuda"], "gym": ["gimnasio", "deporte"],
        // Argentina, Chile, Perú: flip-flops, sneakers, backpacks, caps
        "regalar": ["regalo"], "regalarle": ["regalo"], "regalarles": ["regalo"], "regalarlo": ["regalo"], "regalarla": ["regalo"],
        "obsequio": ["regalo"], "obsequiar": ["regalo"],
        "ojota": ["sandalia", "chancla"], "hawaiana": ["sandalia", "chancla"], "sandalia": ["chancla"],
        "mochi": ["mochila"], "morral": ["mochila"], "jockey": ["gorra"], "visera": ["gorra"],
    ]

    /// Words that make shoes sneakers ("running shoes", "gym shoes", "zapatos deportivos", "zapatos para correr").
    static let athleticWords: Set<String> = [
        "running", "sport", "sports", "athletic", "gym", "training", "tennis", "jogging", "deportivo", "deportivos", "correr",
        "gimnasio", "entrenar", "deporte",
    ]

    /// Adjectives that name a product when no other word of the query does: in Spain
    /// "deportivas" alone are sneakers ("zapatillas deportivas"), while "camiseta deportiva" is a
    /// sports T-shirt.
    static let nounsWhenAlone: [String: String] = ["deportivas": "tenis", "deportiva": "tenis"]

    /// Words asking for the cheap end of what the rest of a message names ("tenis baratos").
    static let cheapWords: Set<String> = [
        "barato", "barata", "baratos", "baratas", "baratito", "baratita", "baratitos", "baratitas", "economico", "economica",
        "economicos", "economicas", "cheap", "cheaper", "cheapest", "affordable", "inexpensive",
    ]

    /// Words saying what is shown costs too much ("está muy cara"): like `cheapWords` after a card.
    static let dearWords: Set<String> = ["caro", "cara", "caros", "caras", "carisimo", "carisima", "expensive", "pricey"]

    /// Who a product is for ("para hombre", "de niña", "women's"): like colours and sizes they
    /// narrow what another word names, so "camiseta para hombre" lists camisetas, not every
    /// product for men.
    static let audiences: Set<String> = [
        "hombre", "hombres", "mujer", "mujeres", "nino", "ninos", "nina", "ninas", "dama", "damas", "caballero", "caballeros",
        "unisex", "infantil", "infantiles", "juvenil", "bebe", "bebes", "chico", "chicos", "chica", "chicas",
        "men", "man", "mens", "women", "woman", "womens", "kid", "kids", "boy", "boys", "girl", "girls", "child", "children", "baby",
        // who it is a gift for
        "mama", "papa", "mami", "papi", "madre", "padre", "esposa", "esposo", "novia", "novio", "hija", "hijo", "hijos", "abuela",
        "abuelo", "hermana", "hermano", "tia", "tio", "amiga", "amigo", "jefa", "jefe", "mom", "mum", "dad", "mother", "father", "wife",
        "husband", "girlfriend", "boyfriend", "daughter", "son", "grandma", "grandpa", "sister", "brother", "friend", "boss",
    ]

    /// Words for products in general ("ropa", "regalo"): they only narrow when another word names
    /// the product ("camiseta de regalo"), and a search of them alone lists what has them.
    static let genericProductWords: Set<String> = ["ropa", "regalo", "regalos", "clothes", "clothing", "gift", "gifts", "present", "presents"]

    /// Which of a query's words name what is searched for (the others only narrow it): those that
    /// are not modifiers (`isModifier`) or generic ("ropa"); with none, who it is for names it
    /// ("ropa para niña" lists the children's clothes, not every women's blouse); with none of
    /// those either, the generic words.
    static func headWords(_ words: [String]) -> Set<String> {
        let specific = words.filter { !isModifier($0) && !genericProductWords.contains($0) }
        if !specific.isEmpty { return Set(specific) }
        let audience = words.filter { audiences.contains($0) }
        if !audience.isEmpty { return Set(audience) }
        return Set(words.filter { !isModifier($0) })
    }

    /// Who a product or a request is for, as bits: `men`, `women`, both (unisex), or neither.
    enum Gender {
        static let men: UInt8 = 1
        static let women: UInt8 = 2
    }

    /// The `Gender` bits `words` name ("para hombre", "de dama", "for my wife"; "unisex" is both).
    static func genders(of words: some Sequence<String>) -> UInt8 {
        var bits: UInt8 = 0
        for word in words {
            if menWords.contains(word) { bits |= Gender.men }
            else if womenWords.contains(word) { bits |= Gender.women }
            else if word == "unisex" { bits |= Gender.men | Gender.women }
        }
        return bits
    }

    /// Grown-ups a present is for: a search naming one leaves children's things out ("a gift
    /// for my dad" listed a pink plush toy).
    static let adultRecipients: Set<String> = [
        "mama", "mami", "madre", "papa", "papi", "padre", "esposa", "esposo", "novia", "novio", "abuela", "abuelo", "suegra",
        "suegro", "jefa", "jefe", "mom", "mum", "dad", "mother", "father", "wife", "husband", "girlfriend", "boyfriend", "grandma",
        "grandpa", "boss",
    ]

    static let menWords: Set<String> = [
        "hombre", "hombres", "caballero", "caballeros", "chico", "chicos", "men", "man", "mens", "boy", "boys", "papa", "papi",
        "padre", "esposo", "novio", "abuelo", "hermano", "tio", "dad", "father", "husband", "boyfriend", "grandpa", "brother",
        "masculino", "varon",
    ]

    static let womenWords: Set<String> = [
        "mujer", "mujeres", "dama", "damas", "chica", "chicas", "women", "woman", "womens", "girl", "girls", "mama", "mami",
        "madre", "esposa", "novia", "abuela", "hermana", "tia", "mom", "mum", "mother", "wife", "girlfriend", "grandma", "sister",
        "femenino",
    ]

    /// Words that mark a product as for children (in its name, category or tags).
    static let childWords: Set<String> = [
        "nino", "nina", "ninos", "ninas", "infantil", "infantiles", "bebe", "bebes", "kid", "kids", "child", "children", "baby", "toddler",
        "hijo", "hija", "hijos", "hijas", "son", "daughter", "boy", "boys", "girl", "girls",
    ]

    /// Clothing sizes written as letters.
    static let sizes: Set<String> = ["xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl"]

    /// Whether a query word only narrows what another word names: a colour, a size, a number, who
    /// it is for or a listed adjective ("rojas", "42", "xl", "hombre", "deportivo"). Other words name products ("zapatillas",
    /// and "vestido" or "teclado" despite their adjective-like endings).
    static func isModifier(_ word: String) -> Bool {
        if word.utf8.contains(where: isDigit) || sizes.contains(word) || audiences.contains(word) { return true }
        return singularForms(word).contains { form in
            colours.contains(form) || ((form.hasSuffix("o") || form.hasSuffix("a")) && adjectiveStems.contains(String(form.dropLast())))
        }
    }

    /// Endings of words that are (almost always) adjectives or participles in both genders.
    private static let adjectiveEndings = ["ado", "ada", "ido", "ida", "ivo", "iva"]

    /// `token` and its possible singulars: "camisetas" → camiseta, "relojes" → reloj, "luces" → luz,
    /// "pantalones" → pantalon, "watches" → watch, "batteries" → battery. Two words are the same
    /// word when these sets intersect, so guesses that are not words do no harm.
    static func singularForms(_ token: String) -> [String] {
        var forms = [token]
        let b = Array(token.utf8)
        let n = b.count
        guard n >= 4, b[n - 1] == UInt8(ascii: "s"), b[n - 2] != UInt8(ascii: "s"), !b.contains(where: isDigit) else { return forms }
        forms.append(String(decoding: b[..<(n - 1)], as: UTF8.self))              // camisetas → camiseta, shoes → shoe
        guard n >= 5, b[n - 2] == UInt8(ascii: "e") else { return forms }
        if b[n - 3] == UInt8(ascii: "i") {
            forms.append(String(decoding: b[..<(n - 3)], as: UTF8.self) + "y")     // batteries → battery
        } else if !isVowel(b[n - 3]) {
            forms.append(String(decoding: b[..<(n - 2)], as: UTF8.self))          // relojes → reloj, watches → watch
            if b[n - 3] == UInt8(ascii: "c") { forms.append(String(decoding: b[..<(n - 3)], as: UTF8.self) + "z") }   // luces → luz
        }
        return forms
    }

    /// The gender-free key of a singular adjective form ("roja" → "roj*"), or nil for other words.
    static func genderKey(_ form: String) -> String? {
        guard form.utf8.count >= 4, let last = form.utf8.last, last == UInt8(ascii: "o") || last == UInt8(ascii: "a") else { return nil }
        let stem = String(form.dropLast())
        guard adjectiveStems.contains(stem) || adjectiveEndings.contains(where: form.hasSuffix) else { return nil }
        return stem + "*"
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func isVowel(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "a") || b == UInt8(ascii: "e") || b == UInt8(ascii: "i") || b == UInt8(ascii: "o") || b == UInt8(ascii: "u")
    }
}
