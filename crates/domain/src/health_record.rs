//! What a health-data record's `data` object must hold, per type, and the plausible ranges of vital
//! signs. A value outside its range is refused (422), not stored: a typo of 1300 for 130 mmHg must not
//! reach a doctor's screen or trigger an alert.

use serde_json::{Map, Value};

use crate::enums::HealthDataType;
use crate::validation::Cid10;

/// The largest `data` object accepted, in bytes of JSON.
pub const MAX_DATA_BYTES: usize = 16 * 1024;
const MAX_TEXT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DataError {
    /// Path of the offending field (`data.systolic`).
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

fn error(field: &str, code: &'static str, message: impl Into<String>) -> DataError {
    DataError {
        field: format!("data.{field}"),
        code,
        message: message.into(),
    }
}

pub const ALLERGY_SEVERITIES: &[&str] = &["MILD", "MODERATE", "SEVERE", "ANAPHYLAXIS"];

/// A vital sign: its canonical unit, other accepted spellings, and the plausible range in that unit.
struct Vital {
    kind: &'static str,
    unit: &'static str,
    aliases: &'static [&'static str],
    range: (f64, f64),
}

const VITALS: &[Vital] = &[
    Vital {
        kind: "heart_rate",
        unit: "bpm",
        aliases: &["/min"],
        range: (20.0, 300.0),
    },
    Vital {
        kind: "temperature",
        unit: "°C",
        aliases: &["C", "celsius"],
        range: (25.0, 45.0),
    },
    Vital {
        kind: "glucose",
        unit: "mg/dL",
        aliases: &["mg/dl"],
        range: (10.0, 1000.0),
    },
    Vital {
        kind: "oxygen_saturation",
        unit: "%",
        aliases: &["SpO2"],
        range: (50.0, 100.0),
    },
    Vital {
        kind: "respiratory_rate",
        unit: "irpm",
        aliases: &["rpm", "/min"],
        range: (4.0, 80.0),
    },
    Vital {
        kind: "weight",
        unit: "kg",
        aliases: &[],
        range: (0.3, 500.0),
    },
    Vital {
        kind: "height",
        unit: "cm",
        aliases: &[],
        range: (20.0, 260.0),
    },
];
const SYSTOLIC: (f64, f64) = (50.0, 300.0);
const DIASTOLIC: (f64, f64) = (20.0, 200.0);

/// Checks `data` for its type and returns it normalised (canonical units and codes).
pub fn validate(data_type: HealthDataType, data: &Value) -> Result<Value, DataError> {
    let Value::Object(fields) = data else {
        return Err(DataError {
            field: "data".into(),
            code: "invalid_type",
            message: "must be a JSON object".into(),
        });
    };
    if data.to_string().len() > MAX_DATA_BYTES {
        return Err(DataError {
            field: "data".into(),
            code: "too_large",
            message: format!("must be at most {MAX_DATA_BYTES} bytes"),
        });
    }
    let mut out = fields.clone();
    match data_type {
        HealthDataType::Condition => {
            let code = text(fields, "cid10", true)?.unwrap_or_default();
            let cid = Cid10::parse(&code).map_err(|e| error("cid10", e.code(), e.to_string()))?;
            out.insert("cid10".into(), Value::String(cid.as_str().to_owned()));
            text(fields, "name", false)?;
            one_of(fields, "status", &["ACTIVE", "RESOLVED", "REMISSION"])?;
        }
        HealthDataType::Medication => {
            text(fields, "name", true)?;
            for optional in ["dosage", "frequency", "route", "activeIngredient"] {
                text(fields, optional, false)?;
            }
        }
        HealthDataType::Allergy => {
            text(fields, "substance", true)?;
            if one_of(fields, "severity", ALLERGY_SEVERITIES)?.is_none() {
                return Err(error(
                    "severity",
                    "required",
                    format!("is required: one of {}", ALLERGY_SEVERITIES.join(", ")),
                ));
            }
            text(fields, "reaction", false)?;
        }
        HealthDataType::Symptom => {
            text(fields, "description", true)?;
            if let Some(v) = fields.get("intensity") {
                let n = number(v, "intensity")?;
                if !(0.0..=10.0).contains(&n) {
                    return Err(error("intensity", "out_of_range", "must be between 0 and 10"));
                }
            }
        }
        HealthDataType::VitalSign => vital_sign(fields, &mut out)?,
        HealthDataType::LabResult => {
            text(fields, "test", true)?;
            match fields.get("value") {
                Some(Value::Number(_)) => {}
                Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= MAX_TEXT => {}
                _ => {
                    return Err(error(
                        "value",
                        "required",
                        "is required: a number or a short text",
                    ));
                }
            }
            text(fields, "unit", false)?;
            text(fields, "referenceRange", false)?;
        }
    }
    Ok(Value::Object(out))
}

fn vital_sign(fields: &Map<String, Value>, out: &mut Map<String, Value>) -> Result<(), DataError> {
    let kind = text(fields, "kind", true)?.unwrap_or_default();
    let unit = text(fields, "unit", false)?;
    if kind == "blood_pressure" {
        if unit.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case("mmHg")) {
            return Err(error("unit", "invalid_unit", "blood pressure is in mmHg"));
        }
        let systolic = in_range(fields, "systolic", SYSTOLIC, "mmHg")?;
        let diastolic = in_range(fields, "diastolic", DIASTOLIC, "mmHg")?;
        if systolic <= diastolic {
            return Err(error(
                "diastolic",
                "implausible",
                "must be lower than the systolic pressure",
            ));
        }
        out.insert("unit".into(), Value::String("mmHg".into()));
        return Ok(());
    }
    let Some(vital) = VITALS.iter().find(|v| v.kind == kind) else {
        let known: Vec<&str> = std::iter::once("blood_pressure")
            .chain(VITALS.iter().map(|v| v.kind))
            .collect();
        return Err(error(
            "kind",
            "unknown_vital_sign",
            format!("must be one of {}", known.join(", ")),
        ));
    };
    if let Some(unit) = unit.as_deref()
        && unit != vital.unit
        && !vital.aliases.iter().any(|a| a.eq_ignore_ascii_case(unit))
    {
        return Err(error(
            "unit",
            "invalid_unit",
            format!("{} is in {}", vital.kind, vital.unit),
        ));
    }
    in_range(fields, "value", vital.range, vital.unit)?;
    out.insert("unit".into(), Value::String(vital.unit.into()));
    Ok(())
}

fn in_range(
    fields: &Map<String, Value>,
    name: &str,
    (low, high): (f64, f64),
    unit: &str,
) -> Result<f64, DataError> {
    let value = fields
        .get(name)
        .ok_or_else(|| error(name, "required", "is required"))
        .and_then(|v| number(v, name))?;
    if !(low..=high).contains(&value) {
        return Err(error(
            name,
            "implausible",
            format!("must be between {low} and {high} {unit}"),
        ));
    }
    Ok(value)
}

fn number(value: &Value, name: &str) -> Result<f64, DataError> {
    value
        .as_f64()
        .filter(|n| n.is_finite())
        .ok_or_else(|| error(name, "invalid_type", "must be a number"))
}

fn text(fields: &Map<String, Value>, name: &str, required: bool) -> Result<Option<String>, DataError> {
    match fields.get(name) {
        None | Some(Value::Null) if required => Err(error(name, "required", "is required")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() && required => {
            Err(error(name, "required", "must not be empty"))
        }
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT => Err(error(
            name,
            "too_long",
            format!("must have at most {MAX_TEXT} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(error(name, "invalid_type", "must be a string")),
    }
}

fn one_of(fields: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<Option<String>, DataError> {
    let Some(value) = text(fields, name, false)? else {
        return Ok(None);
    };
    if allowed.contains(&value.as_str()) {
        Ok(Some(value))
    } else {
        Err(error(
            name,
            "invalid_value",
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(t: HealthDataType, v: Value) -> Value {
        validate(t, &v).unwrap()
    }

    fn field(t: HealthDataType, v: Value) -> String {
        validate(t, &v).unwrap_err().field
    }

    #[test]
    fn vital_signs_get_canonical_units_and_plausible_ranges() {
        let bp = ok(
            HealthDataType::VitalSign,
            json!({"kind": "blood_pressure", "systolic": 130, "diastolic": 80}),
        );
        assert_eq!(bp["unit"], "mmHg");
        assert_eq!(
            field(
                HealthDataType::VitalSign,
                json!({"kind": "blood_pressure", "systolic": 1300, "diastolic": 80})
            ),
            "data.systolic"
        );
        assert_eq!(
            field(
                HealthDataType::VitalSign,
                json!({"kind": "blood_pressure", "systolic": 80, "diastolic": 120})
            ),
            "data.diastolic"
        );
        let t = ok(
            HealthDataType::VitalSign,
            json!({"kind": "temperature", "value": 39.5, "unit": "C"}),
        );
        assert_eq!(t["unit"], "°C");
        assert_eq!(
            field(
                HealthDataType::VitalSign,
                json!({"kind": "temperature", "value": 395})
            ),
            "data.value"
        );
        assert_eq!(
            field(
                HealthDataType::VitalSign,
                json!({"kind": "glucose", "value": 120, "unit": "kg"})
            ),
            "data.unit"
        );
        assert_eq!(
            field(HealthDataType::VitalSign, json!({"kind": "mood", "value": 1})),
            "data.kind"
        );
        assert_eq!(
            field(
                HealthDataType::VitalSign,
                json!({"kind": "heart_rate", "value": "72"})
            ),
            "data.value"
        );
    }

    #[test]
    fn conditions_need_a_valid_cid10() {
        let c = ok(
            HealthDataType::Condition,
            json!({"cid10": "e11.9", "name": "Diabetes"}),
        );
        assert_eq!(c["cid10"], "E11.9");
        assert_eq!(
            field(HealthDataType::Condition, json!({"cid10": "XYZ"})),
            "data.cid10"
        );
        assert_eq!(
            field(HealthDataType::Condition, json!({"name": "Diabetes"})),
            "data.cid10"
        );
    }

    #[test]
    fn allergies_medications_symptoms_and_labs() {
        ok(
            HealthDataType::Allergy,
            json!({"substance": "Dipirona", "severity": "SEVERE"}),
        );
        assert_eq!(
            field(HealthDataType::Allergy, json!({"substance": "Dipirona"})),
            "data.severity"
        );
        assert_eq!(
            field(
                HealthDataType::Allergy,
                json!({"substance": "Dipirona", "severity": "BAD"})
            ),
            "data.severity"
        );
        ok(
            HealthDataType::Medication,
            json!({"name": "Losartana", "dosage": "50 mg", "frequency": "1x/dia"}),
        );
        assert_eq!(
            field(HealthDataType::Medication, json!({"dosage": "50 mg"})),
            "data.name"
        );
        ok(
            HealthDataType::Symptom,
            json!({"description": "dor de cabeça", "intensity": 6}),
        );
        assert_eq!(
            field(
                HealthDataType::Symptom,
                json!({"description": "dor", "intensity": 11})
            ),
            "data.intensity"
        );
        ok(
            HealthDataType::LabResult,
            json!({"test": "HbA1c", "value": 7.1, "unit": "%"}),
        );
        assert_eq!(
            field(HealthDataType::LabResult, json!({"test": "HbA1c"})),
            "data.value"
        );
        assert_eq!(
            validate(HealthDataType::Symptom, &json!([1])).unwrap_err().field,
            "data"
        );
    }
}
