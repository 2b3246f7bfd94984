//! The analysis on messages written for these tests (not from the labelled set): the output
//! format of TAXONOMY.md, red flags that must always be emergencies, hard negatives, entities and
//! negation, and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use austa_nlp::{Analysis, Analyzer, EntityKind, Intent, RedFlag, Urgency};
use proptest::prelude::*;

fn analyze(text: &str) -> Analysis {
    Analyzer::shared().unwrap().analyze("t", text)
}

fn normalized(a: &Analysis, kind: EntityKind) -> Vec<(String, bool)> {
    a.entities_of(kind)
        .map(|e| (e.normalized.clone(), e.negated))
        .collect()
}

#[test]
fn output_has_the_taxonomy_shape() {
    let a = analyze("Oi! To com dor no peito, febre nao, tomo Aradois. Pressao deu 14 por 9 ha 3 dias");
    let json: serde_json::Value = serde_json::to_value(&a).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "confidence",
            "entities",
            "healthKeywords",
            "id",
            "intent",
            "urgency"
        ]
    );
    let confidence = json["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert_eq!(
        normalized(&a, EntityKind::Symptom),
        [("dor no peito".into(), false), ("febre".into(), true)]
    );
    assert_eq!(
        normalized(&a, EntityKind::Medication),
        [("losartana".into(), false)]
    );
    let bp = a.entities_of(EntityKind::VitalSign).next().unwrap();
    assert_eq!(
        (
            bp.normalized.as_str(),
            bp.value.as_deref(),
            bp.unit,
            bp.text.as_str()
        ),
        ("blood_pressure", Some("140/90"), Some("mmHg"), "14 por 9")
    );
    assert_eq!(normalized(&a, EntityKind::Duration), [("P3D".into(), false)]);
    assert_eq!(
        a.health_keywords,
        ["dor no peito", "febre", "losartana", "pressao"]
    );
    let entity = &json["entities"][0];
    assert_eq!(entity["type"], "symptom");
    assert!(entity.get("text").is_some() && entity.get("negated").is_some());
}

#[test]
fn red_flags_are_always_emergencies() {
    let cases: &[(&str, RedFlag)] = &[
        (
            "to com uma dor no peito que vai pro braco esquerdo e suando frio",
            RedFlag::ChestPain,
        ),
        ("aperto no peito e falta de ar agora", RedFlag::ChestPain),
        (
            "minha mae ta com a boca torta e nao consegue levantar o braco",
            RedFlag::Stroke,
        ),
        ("meu avo esta falando tudo enrolado de repente", RedFlag::Stroke),
        ("meu marido desmaiou e nao acorda", RedFlag::Unconscious),
        ("meu filho ta convulsionando", RedFlag::Seizure),
        (
            "cortei a mao e ta sangrando muito, nao para",
            RedFlag::SevereBleeding,
        ),
        ("comi camarao e minha garganta ta fechando", RedFlag::Anaphylaxis),
        ("nao aguento mais viver, quero me matar", RedFlag::Suicide),
        ("as vezes acho que seria melhor nao estar aqui", RedFlag::Suicide),
        (
            "obrigada por tudo, mas ninguem vai sentir minha falta",
            RedFlag::Suicide,
        ),
        ("minha filha bebeu agua sanitaria", RedFlag::Poisoning),
        ("tomei 30 comprimidos de rivotril", RedFlag::Poisoning),
        (
            "glicemia 35, to tremendo e suando, confusa",
            RedFlag::ExtremeGlucose,
        ),
        ("dextro deu 480", RedFlag::ExtremeGlucose),
        (
            "pressao 19 por 12 com dor de cabeca e vista embacada",
            RedFlag::HypertensiveCrisis,
        ),
        ("saturacao 84", RedFlag::LowOxygen),
        ("socorro meu pai nao esta respirando", RedFlag::LifeThreat),
        // Kinds the first independent holdout found missing (written anew here, not copied).
        (
            "meu marido ta com dor no peito e suando frio, ele ja fez cateterismo",
            RedFlag::ChestPain,
        ),
        (
            "minha filha deixou um bilhete de despedida e se trancou no banheiro",
            RedFlag::Suicide,
        ),
        (
            "as vezes penso que seria bom se eu nao acordasse mais",
            RedFlag::Suicide,
        ),
        (
            "meu avo ta deitado no quintal e nao responde quando a gente chama",
            RedFlag::Unconscious,
        ),
        ("a crise de epilepsia do meu irmao nao para", RedFlag::Seizure),
        ("a nenem ficou durinha e tremendo, ta com febre", RedFlag::Seizure),
        (
            "achei tres caixas de clonazepam vazias e minha vo ta muito sonolenta",
            RedFlag::Poisoning,
        ),
        // And the second one.
        (
            "meu filho ta com crise de asma e nao consegue terminar a frase",
            RedFlag::LifeThreat,
        ),
        ("minha boca ta ficando roxa e to sem ar", RedFlag::LifeThreat),
        ("tomei uns 40 dipirona agora pouco", RedFlag::Poisoning),
        (
            "ta saindo sangue do corte na perna sem parar faz meia hora",
            RedFlag::SevereBleeding,
        ),
        ("o mundo seria mais leve se eu nao existisse", RedFlag::Suicide),
        (
            "obrigado por tudo, amanha nao vou estar mais aqui",
            RedFlag::Suicide,
        ),
        (
            "meu braco direito e a perna direita ficaram fracos do nada",
            RedFlag::Stroke,
        ),
        // And the third.
        (
            "to juntando os remedios da gaveta, vou tomar tudo de uma vez hoje a noite",
            RedFlag::Suicide,
        ),
        (
            "meu tio de repente ficou confuso e nao reconhece a propria casa",
            RedFlag::Stroke,
        ),
        (
            "to com falta de ar mesmo deitado, piorou desde ontem",
            RedFlag::SevereBreathlessness,
        ),
        (
            "meu pai tomou 4 vezes o remedio do coracao sem querer e ta muito tonto",
            RedFlag::Poisoning,
        ),
        (
            "sinto o peito doer e o braco esquerdo ta dormente",
            RedFlag::ChestPain,
        ),
        // And the fourth.
        (
            "meu sogro engoliu uns quinze comprimidos de diazepam",
            RedFlag::Poisoning,
        ),
        (
            "minha mae tomou 6 comprimidos de captopril e ta tonta",
            RedFlag::Poisoning,
        ),
        (
            "pressao deu vinte por treze e to com dor de cabeca",
            RedFlag::HypertensiveCrisis,
        ),
        (
            "depois da picada de abelha a lingua inchou e ta com falta de ar",
            RedFlag::Anaphylaxis,
        ),
        (
            "meu vizinho disse que quer morrer e deu as coisas dele pra todo mundo",
            RedFlag::Suicide,
        ),
        ("meu pai nao acha as palavras e o rosto caiu", RedFlag::Stroke),
        (
            "dei remedio de adulto pro meu bebe por engano",
            RedFlag::Poisoning,
        ),
        (
            "o corte no pe nao para de sangrar, o sangue nao estanca",
            RedFlag::SevereBleeding,
        ),
        // And the fifth.
        (
            "ta um cheiro de gas forte aqui em casa e meu filho ta com dor de cabeca",
            RedFlag::Poisoning,
        ),
        (
            "a crise do meu marido ja passou de 10 minutos e ele continua se debatendo",
            RedFlag::Seizure,
        ),
        (
            "minha tia ta com uma agonia no peito e suando frio",
            RedFlag::ChestPain,
        ),
        (
            "meu avo so mexe um lado do corpo desde agora pouco",
            RedFlag::Stroke,
        ),
        (
            "deixei tudo arrumado, ja separei os comprimidos pra hoje a noite",
            RedFlag::Suicide,
        ),
        (
            "meu sobrinho engoliu umas 12 bolinhas do remedio do vovo",
            RedFlag::Poisoning,
        ),
        (
            "ele teve infarto em 2018 e agora ta com aperto no peito e suando",
            RedFlag::ChestPain,
        ),
        // And the sixth.
        (
            "minha neta de 3 anos pegou o remedio da bolsa e engoliu 2 comprimidos",
            RedFlag::Poisoning,
        ),
        (
            "o sensor de glicose marcou 38 e eu to suando e tremendo",
            RedFlag::ExtremeGlucose,
        ),
        (
            "meu tio bebeu e apagou no chao, ninguem consegue acordar ele",
            RedFlag::Unconscious,
        ),
        (
            "depois da injecao senti a garganta apertar e coceira no corpo",
            RedFlag::Anaphylaxis,
        ),
        (
            "dor queimando no peito que vai pro braco esquerdo",
            RedFlag::ChestPain,
        ),
    ];
    for (text, flag) in cases {
        let a = analyze(text);
        assert_eq!(a.urgency, Urgency::Emergency, "{text}");
        assert_eq!(a.intent, Intent::Emergency, "{text}");
        assert_eq!(a.red_flag, Some(*flag), "{text}");
    }
}

#[test]
fn hard_negatives_are_not_emergencies() {
    for text in [
        "ano passado tive um avc, hoje estou bem. quero marcar retorno com o neuro",
        "ontem desmaiei no calor mas ja fui atendida e estou bem agora",
        "nao tenho dor no peito nem falta de ar, so uma tosse chata",
        "to morrendo de rir aqui kkkk",
        "quantos pontos eu tenho?",
        "pressao 12 por 8 hoje",
        "glicemia 98 em jejum",
        "o remedio de convulsao do meu filho acabou, como pego outra receita?",
        "quero falar com uma pessoa, esse robo nao entende nada",
        "se eu desmaiar na academia o plano cobre a remocao?",
        "o que devo fazer se minha filha tiver febre alta de novo?",
        "ontem tive uma tontura forte, ja fui no hospital e esta tudo bem",
        "usei a bombinha dois jatos depois do futebol, ja passou o chiado",
        "pressao doze por oito hoje de manha",
        "meu primo teve overdose ano passado, hoje ja ta bem em casa",
        "tive convulsao quando era pequeno, isso volta?",
        "meu olho ta roxo porque bati na porta kkk",
        "ontem a glicemia deu 450, tomei insulina e hoje ta 140",
        "acabei a cartela toda do anticoncepcional, emendo a proxima?",
    ] {
        let a = analyze(text);
        assert_ne!(a.urgency, Urgency::Emergency, "{text}");
        assert_eq!(a.red_flag, None, "{text}");
    }
}

#[test]
fn whatsapp_portuguese_is_understood() {
    // No accents, abbreviations, a typo, a stretched word, emoji.
    let a = analyze("oiii bom dia!! vc sabe se posso tomar dipirna com losatana? 🙏");
    assert_eq!(a.intent, Intent::MedicationQuestion);
    assert_eq!(
        normalized(&a, EntityKind::Medication),
        [("dipirona".into(), false), ("losartana".into(), false)]
    );
    // Brands map to their ingredients; a combination is sorted and joined.
    let a = analyze("tomei um dorflex e um tylenol, e o glifage e o puran t4 de manha");
    let meds: Vec<String> = a
        .entities_of(EntityKind::Medication)
        .map(|e| e.normalized.clone())
        .collect();
    assert_eq!(
        meds,
        [
            "cafeina + dipirona + orfenadrina",
            "paracetamol",
            "metformina",
            "levotiroxina"
        ]
    );
    // Decimal commas and every blood pressure form.
    for (text, value) in [
        ("febre de 39,5", "39.5"),
        ("13x8", "130/80"),
        ("130/80", "130/80"),
        ("pressao 13 por 8", "130/80"),
    ] {
        let a = analyze(text);
        assert_eq!(
            a.entities_of(EntityKind::VitalSign)
                .next()
                .and_then(|e| e.value.clone())
                .as_deref(),
            Some(value),
            "{text}"
        );
    }
}

#[test]
fn a_greeting_before_a_request_takes_the_request_intent() {
    assert_eq!(analyze("bom dia").intent, Intent::Greeting);
    assert_eq!(
        analyze("oi bom dia! quantos pontos eu tenho?").intent,
        Intent::Gamification
    );
    assert_eq!(
        analyze("boa tarde, quero falar com um atendente").intent,
        Intent::HumanAgent
    );
    assert_eq!(analyze("ola, para de me mandar mensagem").intent, Intent::OptOut);
}

#[test]
fn bad_input_is_other_and_low() {
    let emoji = "😀😂🎉".repeat(10);
    let garbage = String::from_utf8_lossy(&(0..=255u8).cycle().take(5000).collect::<Vec<u8>>()).into_owned();
    let huge = "lorem ipsum dolor sit amet ".repeat(2500);
    for text in [
        "",
        "   ",
        emoji.as_str(),
        garbage.as_str(),
        huge.as_str(),
        "hello how are you doing today my friend, I need help please",
    ] {
        let a = analyze(text);
        assert_eq!(
            (a.intent, a.urgency),
            (Intent::Other, Urgency::Low),
            "{:?}",
            text.get(..40)
        );
        assert!(a.entities.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any text at all: no panic, a label of the taxonomy, a confidence in [0, 1], entities whose
    /// text is part of the folded message.
    #[test]
    fn any_text_gives_a_well_formed_analysis(text in "\\PC{0,300}") {
        let a = analyze(&text);
        prop_assert!((0.0..=1.0).contains(&a.confidence));
        prop_assert!(Intent::ALL.contains(&a.intent));
        let folded = austa_nlp::text::fold(&text);
        for e in &a.entities {
            prop_assert!(folded.contains(&e.text), "{:?} not in {:?}", e.text, folded);
        }
    }

    /// Words patients use, shuffled into any order with noise.
    #[test]
    fn health_word_salad_never_panics(words in proptest::collection::vec(prop_oneof![
        Just("dor"), Just("peito"), Just("nao"), Just("sem"), Just("febre"), Just("13"), Just("por"),
        Just("8"), Just("/"), Just("39,5"), Just("kg"), Just("glicemia"), Just("ha"), Just("dias"),
        Just("tomei"), Just("dorflex"), Just("?"), Just("."), Just("🙏"), Just("x"), Just("desde"),
        Just("cento"), Just("e"), Just("vinte"), Just("oitenta"), Just("oito"), Just("duzentos"),
        Just("pressao"), Just("saturacao"),
    ], 0..40)) {
        let text = words.join(" ");
        let a = analyze(&text);
        prop_assert!((0.0..=1.0).contains(&a.confidence));
        let folded = austa_nlp::text::fold(&text);
        for e in &a.entities {
            prop_assert!(folded.contains(&e.text), "{:?} not in {:?}", e.text, folded);
        }
    }
}
