//! Synthetic people for the demo: Portuguese names, valid CPFs (computed check digits), São Paulo and
//! Rio mobile numbers. None of them is a real person.

use austa_domain::validation::cpf_check_digits;

pub const PATIENTS: &[(&str, &str, &str)] = &[
    // name, birth date, emergency contact (name, relationship) encoded as "Name|relationship"
    (
        "Maria Aparecida dos Santos",
        "1958-03-14",
        "José dos Santos|cônjuge",
    ),
    ("João Pedro Oliveira", "1984-07-02", "Ana Oliveira|irmã"),
    ("Ana Beatriz Ferreira", "1991-11-23", "Cláudia Ferreira|mãe"),
    ("Francisco Carlos Souza", "1949-01-30", "Rita Souza|filha"),
    ("Luciana Pereira Lima", "1976-05-09", "Marcos Lima|cônjuge"),
    ("Rafael Costa Almeida", "2001-09-17", "Helena Costa|mãe"),
    ("Antônia Rodrigues Gomes", "1963-12-05", "Pedro Gomes|filho"),
    ("Gabriel Martins Ribeiro", "1995-02-28", "Juliana Ribeiro|cônjuge"),
    ("Conceição Barbosa Araújo", "1952-08-11", "Fernanda Araújo|neta"),
    ("Thiago Carvalho Rocha", "1988-04-19", "Patrícia Rocha|irmã"),
    ("Juliana Mendes Cardoso", "1979-10-03", "Roberto Cardoso|pai"),
    ("Sebastião Nunes Teixeira", "1945-06-25", "Lúcia Teixeira|cônjuge"),
];

/// A valid CPF for demo patient `n`: a base of nine digits spread from `n`, never all equal.
pub fn cpf(n: u32) -> String {
    let mut base = [0u8; 9];
    let mut x = 314_159_265u64 + u64::from(n) * 7_919_113;
    for digit in base.iter_mut().rev() {
        *digit = (x % 10) as u8;
        x /= 10;
    }
    if base.iter().all(|d| *d == base[0]) {
        base[0] = (base[0] + 1) % 10;
    }
    let check = cpf_check_digits(&base);
    base.iter()
        .chain(check.iter())
        .map(|d| char::from(b'0' + d))
        .collect()
}

/// A mobile number in the Brazilian display format patients type (`(11) 98765-4321`).
pub fn phone(n: u32) -> String {
    let area = if n.is_multiple_of(3) { 21 } else { 11 };
    format!(
        "({area}) 9{:04}-{:04}",
        7000 + n * 37 % 3000,
        1000 + n * 613 % 9000
    )
}

pub fn contact_phone(n: u32) -> String {
    format!("+55 11 9{:04}-{:04}", 6000 + n * 41 % 3000, 2000 + n * 211 % 8000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use austa_domain::validation::{Cpf, PhoneNumber};

    #[test]
    fn demo_documents_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..PATIENTS.len() as u32 {
            Cpf::parse(&cpf(n)).unwrap();
            PhoneNumber::parse(&phone(n)).unwrap();
            PhoneNumber::parse(&contact_phone(n)).unwrap();
            assert!(seen.insert(cpf(n)));
            assert!(seen.insert(phone(n)));
        }
    }
}
