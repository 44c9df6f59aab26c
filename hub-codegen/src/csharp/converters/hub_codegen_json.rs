//! `HubCodegenJson`: the helpers every converter uses.

use crate::csharp::code::Code;
use crate::csharp::context::Ctx;
use crate::csharp::names::HELPER;

/// The helpers every converter uses.
pub(super) fn helper(ctx: &Ctx<'_>, code: &mut Code) {
    let scope = ctx.plain_scope([
        "Read", "Write", "Expect", "Items", "Required", "Tag", "NoData",
    ]);
    let element = ctx.fw("JsonElement", &scope);
    let options = ctx.fw("JsonSerializerOptions", &scope);
    let kind = ctx.fw("JsonValueKind", &scope);
    let exception = ctx.fw("JsonException", &scope);
    let list = ctx.fw("List", &scope);
    for line in [
        "/// <summary>What the generated converters share.</summary>".to_owned(),
        format!("internal static class {HELPER}"),
        "{".to_owned(),
        "    /// <summary>A value of type <typeparamref name=\"T\"/>, read with its own converter.</summary>".to_owned(),
        format!("    internal static T Read<T>({element} json, {options} options)"),
        "    {".to_owned(),
        format!("        return {}.Deserialize<T>(json.GetRawText(), options);", ctx.fw("JsonSerializer", &scope)),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Writes a value of type <typeparamref name=\"T\"/> with its own converter.</summary>".to_owned(),
        format!("    internal static void Write<T>({} writer, T value, {options} options)", ctx.fw("Utf8JsonWriter", &scope)),
        "    {".to_owned(),
        format!("        {}.Serialize<T>(writer, value, options);", ctx.fw("JsonSerializer", &scope)),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Throws unless <paramref name=\"json\"/> is of kind <paramref name=\"kind\"/>.</summary>".to_owned(),
        format!("    internal static void Expect({element} json, {kind} kind, string what)"),
        "    {".to_owned(),
        "        if (json.ValueKind != kind)".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": expected JSON of kind \" + kind + \", got \" + json.ValueKind + \".\");"),
        "        }".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>The items of an array that must have exactly <paramref name=\"count\"/> of them.</summary>".to_owned(),
        format!("    internal static {list}<{element}> Items({element} json, int count, string what)"),
        "    {".to_owned(),
        format!("        Expect(json, {kind}.Array, what);"),
        format!("        {list}<{element}> items = new {list}<{element}>(json.EnumerateArray());"),
        "        if (items.Count != count)".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": expected an array of \" + count + \" items, got \" + items.Count + \".\");"),
        "        }".to_owned(),
        "        return items;".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>A property that must be present.</summary>".to_owned(),
        format!("    internal static {element} Required({element} json, string name, string what)"),
        "    {".to_owned(),
        format!("        {element} value;"),
        "        if (!json.TryGetProperty(name, out value))".to_owned(),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": missing property \\\"\" + name + \"\\\".\");"),
        "        }".to_owned(),
        "        return value;".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>The string in the tag property of an object.</summary>".to_owned(),
        format!("    internal static string Tag({element} json, string tag, string what)"),
        "    {".to_owned(),
        format!("        Expect(json, {kind}.Object, what);"),
        format!("        {element} value = Required(json, tag, what);"),
        format!("        if (value.ValueKind != {kind}.String)"),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": the tag \\\"\" + tag + \"\\\" must be a string, got \" + value.ValueKind + \".\");"),
        "        }".to_owned(),
        "        return value.GetString();".to_owned(),
        "    }".to_owned(),
        String::new(),
        "    /// <summary>Throws if a variant without data has some (absent or null is fine).</summary>".to_owned(),
        format!("    internal static void NoData({element} json, string content, string what)"),
        "    {".to_owned(),
        format!("        {element} value;"),
        format!("        if (json.TryGetProperty(content, out value) && value.ValueKind != {kind}.Null)"),
        "        {".to_owned(),
        format!("            throw new {exception}(what + \": a variant without data, got \" + value.ValueKind + \" in \\\"\" + content + \"\\\".\");"),
        "        }".to_owned(),
        "    }".to_owned(),
        "}".to_owned(),
    ] {
        code.line(line);
    }
}
