/// The fixture skills, to the schema of skills/*.yaml: a small `core` and `recycling`. Kept as
/// Swift strings (written to a temporary directory by `SkillsTests.fixtureDirectory`) because
/// YAML files inside a test target's folder make SwiftPM warn about unhandled files.
enum SkillsFixtures {
    static let files: [String: String] = [
        "core.yaml": #"""
# Test fixture: a small core skill (same schema as skills/core.yaml).
skill: core
name: {es: "Básico", en: "Basics"}
description: {es: "Saludos y ayuda.", en: "Greetings and help."}
intents:
  - id: core.saludo
    title: {es: "Saludo", en: "Greeting"}
    examples:
      es: ["hola", "buenos días", "buenas tardes", "hola, ¿qué tal?", "buenas noches", "saludos", "hola buenas", "qué onda", "hey hola", "buen día"]
      en: ["hello", "hi", "good morning", "hey there", "good afternoon", "hi, how are you?", "greetings", "good evening", "hello there", "hey"]
    keywords: {es: ["hola"], en: ["hello"]}
    responses: {es: ["¡Hola! ¿En qué te ayudo?"], en: ["Hi! How can I help?"]}
    buttons: [{intent: core.ayuda}]
  - id: core.ayuda
    title: {es: "Ayuda", en: "Help"}
    examples:
      es: ["ayuda", "necesito ayuda", "¿qué puedes hacer?", "¿cómo funciona esto?", "menú", "opciones", "¿qué sabes hacer?", "no entiendo", "¿me ayudas?", "muéstrame el menú"]
      en: ["help", "I need help", "what can you do?", "how does this work?", "menu", "options", "what do you know?", "I don't understand", "can you help me?", "show me the menu"]
    responses: {es: ["Puedo ayudarte con reciclaje."], en: ["I can help with recycling."]}
  - id: core.gracias
    title: {es: "Gracias", en: "Thanks"}
    examples:
      es: ["gracias", "muchas gracias", "mil gracias", "te lo agradezco", "gracias por la ayuda", "genial, gracias", "perfecto gracias", "muy amable", "gracias totales", "te pasaste, gracias"]
      en: ["thanks", "thank you", "thanks a lot", "thank you so much", "many thanks", "great, thanks", "perfect thanks", "much appreciated", "cheers", "thanks for the help"]
    responses: {es: ["¡De nada!"], en: ["You're welcome!"]}
"""#,
        "recycling.yaml": #"""
# Test fixture: a small recycling skill (same schema as skills/recycling.yaml).
skill: recycling
name: {es: "Reciclaje", en: "Recycling"}
description: {es: "Cómo reciclar.", en: "How to recycle."}
intents:
  - id: reciclaje.plasticos
    title: {es: "Plásticos", en: "Plastics"}
    examples:
      es: ["¿cómo reciclo botellas de plástico?", "dónde van los envases de plástico", "qué hago con las bolsas plásticas", "reciclar plástico", "botellas pet", "¿se recicla el plástico?", "envases de yogur", "tapas de plástico", "tengo muchas botellas de plástico", "contenedor amarillo"]
      en: ["how do I recycle plastic bottles", "where do plastic containers go", "what about plastic bags", "recycle plastic", "pet bottles", "is plastic recyclable?", "yogurt pots", "plastic lids", "I have lots of plastic bottles", "yellow bin"]
    keywords: {es: ["plastico", "botellas pet"], en: ["plastic"]}
    responses: {es: ["Los plásticos van al contenedor amarillo."], en: ["Plastics go in the yellow bin."]}
    buttons: [{intent: reciclaje.vidrio}]
    slot:
      name: material
      ask: {es: "¿Qué material?", en: "Which material?"}
      values: {vidrio: reciclaje.vidrio, glass: reciclaje.vidrio, botellas de vidrio: reciclaje.vidrio, plastico: reciclaje.plasticos}
  - id: reciclaje.vidrio
    title: {es: "Vidrio", en: "Glass"}
    examples:
      es: ["¿dónde tiro el vidrio?", "botellas de vino vacías", "frascos de vidrio", "reciclar vidrio", "tarros de mermelada", "contenedor verde", "¿el cristal se recicla?", "botellas de cerveza", "qué hago con los frascos", "vidrio roto"]
      en: ["where does glass go?", "empty wine bottles", "glass jars", "recycle glass", "jam jars", "green bin", "is glass recyclable?", "beer bottles", "what do I do with jars", "broken glass"]
    keywords: {es: ["vidrio"], en: ["glass"]}
    responses: {es: ["El vidrio va al contenedor verde."], en: ["Glass goes in the green bin."]}
  - id: reciclaje.papel
    title: {es: "Papel", en: "Paper"}
    examples:
      es: ["¿dónde va el papel?", "cajas de cartón", "periódicos viejos", "reciclar cartón", "revistas usadas", "contenedor azul", "¿el papel se recicla?", "cajas de pizza", "folios usados", "qué hago con el cartón"]
      en: ["where does paper go?", "cardboard boxes", "old newspapers", "recycle cardboard", "used magazines", "blue bin", "is paper recyclable?", "pizza boxes", "used printer paper", "what do I do with cardboard"]
    responses: {es: ["El papel va al contenedor azul."], en: ["Paper goes in the blue bin."]}
"""#,
    ]
}
