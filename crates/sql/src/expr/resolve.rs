//! PostgreSQL's overload resolution (manual §10.2 operators, §10.3 functions), shared
//! by operators and functions.
//!
//! Given the argument types and the candidate signatures (already instantiated for
//! polymorphic parameters), pick one candidate:
//!
//! 1. an exact match wins (for a binary operator with one `unknown` argument, the
//!    unknown is assumed to have the other argument's type for this check);
//! 2. keep candidates every argument converts to implicitly (`unknown` converts to all);
//! 3. keep those with the most exact type matches;
//! 4. keep those with the most preferred types where conversion is needed;
//! 5. for `unknown` arguments, prefer the string category if any candidate accepts it,
//!    else the category all candidates share (otherwise the call is ambiguous), then
//!    the preferred type of that category;
//! 6. one left: chosen; none: "does not exist" (42883); several: "is not unique" (42725).

use helios_types::DataType;

use crate::expr::types::{can_implicit_cast, category, is_preferred, same_base, TypeCategory};

/// The outcome of overload resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The index of the chosen candidate.
    Found(usize),
    /// No candidate accepts the arguments.
    NotFound,
    /// Several candidates remain.
    Ambiguous,
}

/// Chooses among `candidates` (parameter type lists) for `args`. `binary_operator`
/// enables the rule that an unknown operand is first assumed to have the other's type.
pub fn resolve(
    args: &[DataType],
    candidates: &[Vec<DataType>],
    binary_operator: bool,
) -> Resolution {
    let arity: Vec<usize> =
        (0..candidates.len()).filter(|&i| candidates[i].len() == args.len()).collect();
    // 1. exact match
    let mut probe: Vec<DataType> = args.to_vec();
    if binary_operator && args.len() == 2 {
        match (&args[0], &args[1]) {
            (DataType::Unknown, other) if other != &DataType::Unknown => probe[0] = other.clone(),
            (other, DataType::Unknown) if other != &DataType::Unknown => probe[1] = other.clone(),
            _ => {}
        }
    }
    if let Some(&i) =
        arity.iter().find(|&&i| candidates[i].iter().zip(&probe).all(|(p, a)| same_base(p, a)))
    {
        return Resolution::Found(i);
    }
    // 2. implicit coercibility
    let mut live: Vec<usize> = arity
        .into_iter()
        .filter(|&i| candidates[i].iter().zip(args).all(|(p, a)| can_implicit_cast(a, p)))
        .collect();
    if live.len() <= 1 {
        return live.first().map_or(Resolution::NotFound, |&i| Resolution::Found(i));
    }
    // 3. most exact matches (unknown arguments never count)
    keep_max(&mut live, |i| {
        candidates[i]
            .iter()
            .zip(args)
            .filter(|(p, a)| **a != DataType::Unknown && same_base(p, a))
            .count()
    });
    // 4. most preferred types where coercion is needed
    keep_max(&mut live, |i| {
        candidates[i]
            .iter()
            .zip(args)
            .filter(|(p, a)| **a != DataType::Unknown && !same_base(p, a) && is_preferred(p))
            .count()
    });
    if live.len() == 1 {
        return Resolution::Found(live[0]);
    }
    // 5. unknown arguments: category then preferred type
    for (pos, a) in args.iter().enumerate() {
        if *a != DataType::Unknown {
            continue;
        }
        let cats: Vec<TypeCategory> = live.iter().map(|&i| category(&candidates[i][pos])).collect();
        let chosen = if cats.contains(&TypeCategory::String) {
            TypeCategory::String
        } else if cats.windows(2).all(|w| w[0] == w[1]) {
            cats[0]
        } else {
            return Resolution::Ambiguous;
        };
        live.retain(|&i| category(&candidates[i][pos]) == chosen);
        if live.iter().any(|&i| is_preferred(&candidates[i][pos])) {
            live.retain(|&i| is_preferred(&candidates[i][pos]));
        }
    }
    if live.len() == 1 {
        return Resolution::Found(live[0]);
    }
    // 6. with unknowns and all known arguments of one type, assume the unknowns have it
    let known: Vec<&DataType> = args.iter().filter(|a| **a != DataType::Unknown).collect();
    if known.len() < args.len() && !known.is_empty() && known.windows(2).all(|w| w[0] == w[1]) {
        let t = known[0];
        let fits: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&i| {
                candidates[i].iter().zip(args).all(|(p, a)| {
                    if *a == DataType::Unknown {
                        can_implicit_cast(t, p)
                    } else {
                        true
                    }
                })
            })
            .collect();
        if fits.len() == 1 {
            return Resolution::Found(fits[0]);
        }
    }
    if live.is_empty() {
        Resolution::NotFound
    } else {
        Resolution::Ambiguous
    }
}

fn keep_max(live: &mut Vec<usize>, score: impl Fn(usize) -> usize) {
    let best = live.iter().map(|&i| score(i)).max().unwrap_or(0);
    live.retain(|&i| score(i) == best);
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    fn sigs(list: &[(DataType, DataType)]) -> Vec<Vec<DataType>> {
        list.iter().map(|(a, b)| vec![a.clone(), b.clone()]).collect()
    }

    #[test]
    fn picks_float8_for_int_and_real() {
        let c = sigs(&[(Float4, Float4), (Float8, Float8), (Float4, Float8), (Float8, Float4)]);
        assert_eq!(resolve(&[Float4, Int4], &c, true), Resolution::Found(2));
        assert_eq!(resolve(&[Float4, Float4], &c, true), Resolution::Found(0));
    }

    #[test]
    fn unknown_ambiguity_like_postgres() {
        let c = sigs(&[(Date, Int4), (Date, Interval), (Date, Time), (Int4, Int4)]);
        assert_eq!(resolve(&[Date, Unknown], &c, true), Resolution::Ambiguous);
        assert_eq!(resolve(&[Int4, Unknown], &c, true), Resolution::Found(3));
        assert_eq!(resolve(&[Int4, Text], &c, true), Resolution::NotFound);
    }

    #[test]
    fn unknown_prefers_string_category() {
        let c = vec![vec![Jsonb, Text], vec![Jsonb, Int4]];
        assert_eq!(resolve(&[Jsonb, Unknown], &c, true), Resolution::Found(0));
    }
}
