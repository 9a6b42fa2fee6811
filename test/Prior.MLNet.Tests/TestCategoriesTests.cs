using System.Reflection;

namespace Prior.MLNet.Tests;

/// <summary>The fast set (<c>--filter TestCategory=Unit</c>) means something only if every class says what it is.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class TestCategoriesTests
{
    [TestMethod]
    public void EveryTestClassHasExactlyOneCategory()
    {
        string[] known = [TestCategories.Unit, TestCategories.Integration, TestCategories.Slow];
        var classes = typeof(TestCategoriesTests)
            .Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<TestClassAttribute>() is not null)
            .ToList();
        Assert.IsGreaterThan(70, classes.Count);
        foreach (var type in classes)
        {
            var categories = type.GetCustomAttributes<TestCategoryAttribute>().SelectMany(a => a.TestCategories).ToList();
            Assert.HasCount(1, categories, $"{type.Name}: {string.Join(", ", categories)}");
            CollectionAssert.Contains(known, categories[0], type.Name);
            Assert.IsFalse(
                type.GetMethods().Any(m => m.GetCustomAttributes<TestCategoryAttribute>().Any()),
                $"{type.Name}: categories are per class"
            );
        }
    }
}
